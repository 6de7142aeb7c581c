"""Who may share what (SPEC §5).

A user may share a document when they hold ``wagtail_securelink.add_sharelink`` *and*
may change the document under Wagtail's own collection-based permission policy: we
never widen what Wagtail already lets an editor do. Superusers may do everything.
"""

from collections.abc import Iterable

from django.contrib.auth.models import Permission
from wagtail import VERSION as WAGTAIL_VERSION
from wagtail.documents import get_document_model

__all__ = [
    "ADD_SHARELINK",
    "get_document_permission_policy",
    "get_securelink_permissions",
    "user_can_share_documents",
    "user_can_share_document",
    "shareable_document_ids",
]

ADD_SHARELINK = "wagtail_securelink.add_sharelink"


def get_document_permission_policy():
    """Wagtail's permission policy for the (possibly custom) document model."""
    if WAGTAIL_VERSION >= (8, 0):
        from wagtail.permissions import policy_registry

        return policy_registry.get_by_type(get_document_model())
    # Wagtail 7.4 LTS: the module-level policy, removed from later releases.
    from wagtail.documents.permissions import permission_policy

    return permission_policy


def get_securelink_permissions():
    """The permissions an administrator can assign in Wagtail's group editor."""
    return Permission.objects.filter(
        content_type__app_label="wagtail_securelink",
        codename__in=["add_sharelink", "change_sharelink", "delete_sharelink"],
    )


def _is_superuser(user) -> bool:
    return bool(user.is_active and user.is_superuser)


def user_can_share_documents(user) -> bool:
    """Whether the user may share at least some document (cheap; no instance check)."""
    if _is_superuser(user):
        return True
    return user.has_perm(ADD_SHARELINK) and (
        get_document_permission_policy().user_has_permission(user, "change")
    )


def user_can_share_document(user, document) -> bool:
    """Whether the user may create a share link to this document."""
    if _is_superuser(user):
        return True
    return user.has_perm(ADD_SHARELINK) and (
        get_document_permission_policy().user_has_permission_for_instance(
            user, "change", document
        )
    )


def shareable_document_ids(user, documents: Iterable) -> set:
    """The ids of those ``documents`` the user may share, in one query.

    Used by the documents listing, so that a page of twenty rows does not ask the
    policy twenty times.
    """
    ids = [document.pk for document in documents]
    if not ids or not user_can_share_documents(user):
        return set()
    if _is_superuser(user):
        return set(ids)
    allowed = get_document_permission_policy().instances_user_has_permission_for(
        user, "change"
    )
    return set(allowed.filter(pk__in=ids).values_list("pk", flat=True))
