"""Paths and URLs other modules link to: the admin's Manage access, above all, and the
published documentation that every system check's hint points at (never a file of the
repository: a pip user has no checkout).

One function builds the *Manage access* path of a document, a collection or a link, for
the admin views, the Shared links listing, the activity report, the sharer's emails
and the collection buttons alike.
"""

from django.contrib.admin.utils import quote
from django.urls import reverse
from wagtail.models import Collection, Page

from wagtail_securelink.choices import TargetType

__all__ = ["manage_access_path", "link_manage_path", "DOCS_URL", "docs_hint"]

DOCS_URL = "https://wagtail-securelink.readthedocs.io/en/latest/"


def docs_hint(page: str) -> str:
    return f"See {DOCS_URL}{page}"


def manage_access_path(item) -> str:
    """*Manage access* of a document, a collection or a page."""
    if isinstance(item, Page):
        name = "manage_page"
    elif isinstance(item, Collection):
        name = "manage_collection"
    else:
        name = "manage_document"
    return reverse(f"wagtail_securelink_admin:{name}", args=[quote(item.pk)])


def link_manage_path(link) -> str | None:
    """*Manage access* of the item a link shares, or ``None`` once the item is gone."""
    if link.target_type == TargetType.COLLECTION and link.collection_id:
        name, pk = "manage_collection", link.collection_id
    elif link.target_type == TargetType.DOCUMENT and link.document_id:
        name, pk = "manage_document", link.document_id
    elif link.target_type == TargetType.PAGE and link.page_id:
        name, pk = "manage_page", link.page_id
    else:
        return None
    return reverse(f"wagtail_securelink_admin:{name}", args=[quote(pk)])
