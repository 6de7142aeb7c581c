"""Wagtail's own API v3 documents endpoints and private items (SPEC S16).

``GET /documents/`` and ``GET /documents/{id}/`` of Wagtail's API answer anonymous
callers too. Both build their rows with ``get_documents_queryset(request)`` in
``wagtail.documents.api.v3.router``; ``install`` wraps that function (calling
Wagtail's, then filtering its result), so a private document is neither listed nor
handed out (404) to a caller who may not see it.

Which documents are private is decided by ``privacy.private_document_ids``, the rule
of ``privacy.is_private`` applied to a whole queryset in three queries; the same rule
as Wagtail's serve view hook (``wagtail_hooks.refuse_private_document``). A caller may
see a private
document when it would find it in Wagtail's documents listing in the admin: a
superuser, or an admin user holding *change* or *delete* on it under Wagtail's
collection ownership policy.
"""

from django.db.models import QuerySet

from wagtail_securelink.permissions import documents_seen_in_admin
from wagtail_securelink.sharing.privacy import private_document_ids

__all__ = ["hide_private_documents", "install"]


def hide_private_documents(request, queryset: QuerySet) -> QuerySet:
    """``queryset`` without the private documents that ``request.user`` may not see."""
    seen = documents_seen_in_admin(request.user)
    if seen is None:
        return queryset
    others = queryset.exclude(pk__in=seen.values("pk"))
    hidden = private_document_ids(others)
    return queryset.exclude(pk__in=hidden) if hidden else queryset


def install() -> bool:
    """Wrap Wagtail's documents queryset function once; ``False`` if there is none."""
    try:
        from wagtail.api.v3.registry import registry
        from wagtail.documents import get_document_model
        from wagtail.documents.api.v3.registry import register_content_types
    except ImportError:
        return False
    if not registry.has(get_document_model()._meta.label):
        # Our app is listed before wagtail.documents, whose ready() registers the
        # document schemas that its router module reads on import: register them now
        # (Wagtail's own function; registering again later only replaces the entry).
        register_content_types()
    from wagtail.documents.api.v3 import router as documents_router

    original = getattr(documents_router, "get_documents_queryset", None)
    if original is None:
        return False
    if getattr(original, "securelink_wrapped", False):
        return True

    def get_documents_queryset(request):
        return hide_private_documents(request, original(request))

    get_documents_queryset.securelink_wrapped = True
    get_documents_queryset.__wrapped__ = original
    get_documents_queryset.__doc__ = hide_private_documents.__doc__
    documents_router.get_documents_queryset = get_documents_queryset
    return True
