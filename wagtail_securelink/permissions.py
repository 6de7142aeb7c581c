"""Who may share what (SPEC §5).

A user may share a document when they hold ``wagtail_securelink.add_sharelink`` *and*
may change the document under Wagtail's own collection-based permission policy: we
never widen what Wagtail already lets an editor do. Superusers may do everything.

A collection is shared like all the documents in it: the user needs
``add_sharelink`` and Wagtail's *change* permission for documents on that collection
(granted on it or on an ancestor, as Wagtail's collection permissions inherit). Having
only *add* there is not enough: an uploader may change their own documents, not share
everybody else's.

Managing a link (revoking it, adding and removing people, changing its expiry) needs
one of ``add_sharelink`` / ``change_sharelink`` and the same right on the link's item:
editors see and manage only links on items they may change.
"""

from collections.abc import Iterable

from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet
from wagtail import VERSION as WAGTAIL_VERSION
from wagtail.documents import get_document_model
from wagtail.models import Collection, Page
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permission_policies.collections import CollectionPermissionPolicy
from wagtail.permission_policies.pages import PagePermissionPolicy

from wagtail_securelink.choices import TargetType
from wagtail_securelink.models import Recipient, ShareLink

__all__ = [
    "ADD_SHARELINK",
    "recipients_visible_to",
    "get_document_permission_policy",
    "documents_seen_in_admin",
    "get_securelink_permissions",
    "user_can_share_documents",
    "user_can_share_document",
    "shareable_document_ids",
    "user_can_share_collection",
    "user_can_share_page",
    "editable_pages",
    "shareable_collections",
    "user_can_manage_links",
    "user_can_share_target",
    "user_can_manage_target",
    "user_can_manage_link",
    "links_visible_to",
    "user_can_see_document_in_admin",
    "user_can_change_privacy",
    "PeoplePermissionPolicy",
]

ADD_SHARELINK = "wagtail_securelink.add_sharelink"
CHANGE_SHARELINK = "wagtail_securelink.change_sharelink"
DELETE_SHARELINK = "wagtail_securelink.delete_sharelink"


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


# Collections -------------------------------------------------------------------------


def _collection_rights():
    """Wagtail's collection permission policy over the document model, without the
    ownership rule: *change* here means change every document of a collection, which
    is what sharing the whole collection needs. (The documents' own policy also counts
    *add* as *change* for a user's own documents; that would let someone who may only
    upload share everyone's files.)"""
    return CollectionPermissionPolicy(get_document_model())


def shareable_collections(user) -> QuerySet:
    """Collections whose documents the user may change: where they may share a collection.

    A queryset (usable as a subquery): the collections on which one of the user's
    groups holds *change* for documents, and their descendants.
    """
    if not (user.is_active and user.is_authenticated):
        return Collection.objects.none()
    return _collection_rights().collections_user_has_permission_for(user, "change")


def user_can_share_collection(user, collection) -> bool:
    """Whether the user may create a share link to this collection."""
    if _is_superuser(user):
        return True
    if not (user.is_active and user.has_perm(ADD_SHARELINK)):
        return False
    return shareable_collections(user).filter(pk=collection.pk).exists()


# Pages (previews of drafts) -----------------------------------------------------------


def editable_pages(user) -> QuerySet:
    """The pages the user may edit under Wagtail's page permissions (a subquery)."""
    if not (user.is_active and user.is_authenticated):
        return Page.objects.none()
    return PagePermissionPolicy().instances_user_has_permission_for(user, "change")


def user_can_edit_page(user, page) -> bool:
    return bool(user.is_active) and page.permissions_for_user(user).can_edit()


def user_can_share_page(user, page) -> bool:
    """Whether the user may share a preview of this page: whoever may edit it and
    holds ``add_sharelink`` (a preview shows no more than the editor already sees)."""
    if _is_superuser(user):
        return True
    return user.has_perm(ADD_SHARELINK) and user_can_edit_page(user, page)


# Managing links ------------------------------------------------------------------------


def user_can_manage_links(user) -> bool:
    """Whether the user may see the Shared links area at all (cheap; no item check)."""
    if _is_superuser(user):
        return True
    return bool(user.is_active) and (
        user.has_perm(ADD_SHARELINK) or user.has_perm(CHANGE_SHARELINK)
    )


def user_can_share_target(user, target) -> bool:
    if isinstance(target, Page):
        return user_can_share_page(user, target)
    if isinstance(target, Collection):
        return user_can_share_collection(user, target)
    return user_can_share_document(user, target)


def user_can_manage_target(user, target) -> bool:
    """Whether the user may see and manage the links on this document or collection."""
    if _is_superuser(user):
        return True
    if target is None or not user_can_manage_links(user):
        # A deleted item: only superusers still manage its links.
        return False
    if isinstance(target, Page):
        return user_can_edit_page(user, target)
    if isinstance(target, Collection):
        return shareable_collections(user).filter(pk=target.pk).exists()
    return get_document_permission_policy().user_has_permission_for_instance(
        user, "change", target
    )


def user_can_manage_link(user, link) -> bool:
    """Whether the user may see and change this link (revoke, people, expiry)."""
    return user_can_manage_target(user, link.target)


def links_visible_to(user, queryset=None) -> QuerySet:
    """The links on items the user may change (all of them for superusers).

    One queryset with subqueries, so that a listing costs the same number of queries
    whatever the number of links.
    """
    queryset = ShareLink.objects.all() if queryset is None else queryset
    if _is_superuser(user):
        return queryset
    if not user_can_manage_links(user):
        return queryset.none()
    documents = get_document_permission_policy().instances_user_has_permission_for(
        user, "change"
    )
    return queryset.filter(
        Q(target_type=TargetType.DOCUMENT, document__in=documents.values("pk"))
        | Q(
            target_type=TargetType.COLLECTION,
            collection__in=shareable_collections(user).values("pk"),
        )
        | Q(target_type=TargetType.PAGE, page__in=editable_pages(user).values("pk"))
    )


def recipients_visible_to(user) -> QuerySet:
    """The recipient rows on links ``links_visible_to`` gives the user. Superusers'
    are every row, with no semi-join over the links table (the People area reads
    this for each of its subqueries)."""
    if _is_superuser(user):
        return Recipient.objects.all()
    return Recipient.objects.filter(link__in=links_visible_to(user).values("pk"))


# Private items (S16) ----------------------------------------------------------------


# What Wagtail's documents listing shows: documents the user may change or delete.
_ADMIN_LISTING_PERMISSIONS = ["change", "delete"]


def documents_seen_in_admin(user):
    """The queryset form of ``user_can_see_document_in_admin``: the documents the user
    would find in Wagtail's documents listing; ``None`` means all of them."""
    if user.is_active and user.is_authenticated and _is_superuser(user):
        return None
    policy = get_document_permission_policy()
    if not (user.is_authenticated and user.has_perm("wagtailadmin.access_admin")):
        return policy.model.objects.none()
    return policy.instances_user_has_any_permission_for(
        user, _ADMIN_LISTING_PERMISSIONS
    )


def user_can_see_document_in_admin(user, document) -> bool:
    """Whether the user would find this document in Wagtail's documents listing.

    The listing (``wagtail.documents.views.documents.IndexView``) shows the documents
    on which the user holds *change* or *delete* under Wagtail's collection ownership
    policy (so an uploader sees their own); the admin itself needs ``access_admin``.
    The *choose* permission alone is not enough: it lets an editor pick a document in
    a chooser, not open it.
    """
    if not (user.is_active and user.is_authenticated):
        return False
    if _is_superuser(user):
        return True
    return user.has_perm("wagtailadmin.access_admin") and (
        get_document_permission_policy().user_has_any_permission_for_instance(
            user, _ADMIN_LISTING_PERMISSIONS, document
        )
    )


def user_can_change_privacy(user, target) -> bool:
    """Who may press "Make public" / "Make private again": whoever manages its links."""
    return user_can_manage_target(user, target)


# People outside the organisation ------------------------------------------


class PeoplePermissionPolicy(BasePermissionPolicy):
    """Wagtail permission policy for the People area (``Recipient`` rows).

    Whoever may manage links may open it; the rows they see and act on are those on
    links they may manage (``links_visible_to``), so no editor reaches an address
    through a link they could not open in Shared links.
    """

    def user_has_permission(self, user, action):
        return user_can_manage_links(user)

    def user_has_any_permission(self, user, actions):
        return user_can_manage_links(user)

    def user_has_permission_for_instance(self, user, action, instance):
        return user_can_manage_link(user, instance.link)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return user_can_manage_link(user, instance.link)

    def instances_user_has_permission_for(self, user, action):
        return self.model.objects.filter(link__in=links_visible_to(user).values("pk"))

    def instances_user_has_any_permission_for(self, user, actions):
        return self.instances_user_has_permission_for(user, None)
