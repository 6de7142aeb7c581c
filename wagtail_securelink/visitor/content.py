"""What a visitor with access sees: a document's page, a folder's page (SPEC §4).

Every view re-checks access server-side (S9) and re-resolves the document against the
link's scope at request time (S11). What each role may do is ``Role``'s (choices);
what a link reaches is ``browsing``'s; these views only translate them to pages. The
files themselves are ``views.files``; uploads are ``views.upload``.
"""

from dataclasses import dataclass

from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from wagtail_securelink.audit.events import record_event
from wagtail_securelink.choices import EventType, PageRevision, Role, TargetType
from wagtail_securelink.serving import browsing, limits, previews
from wagtail_securelink.serving.files import preview_kind
from wagtail_securelink.serving.headers import render_page
from wagtail_securelink.sharing import comments
from wagtail_securelink.visitor import viewer
from wagtail_securelink.visitor.decorators import link_view
from wagtail_securelink.visitor.gates import with_access

__all__ = [
    "item_urls",
    "row_urls",
    "Row",
    "listing_rows",
    "folder_urls",
    "refuse",
    "document_page",
    "folder_page",
    "page_preview",
    "document_or_404",
    "folder_or_404",
    "collection_document",
    "folder",
]

T = "wagtail_securelink/visitor/"
SORT_LABELS = [
    ("title", _("Title A–Z")),
    ("-title", _("Title Z–A")),
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
    ("largest", _("Largest first")),
    ("smallest", _("Smallest first")),
]


def _url(name, link, *args):
    return reverse(f"wagtail_securelink:{name}", args=[link.token, *args])


_ITEM_NAMES = {
    "page": "collection_document",
    "view": "collection_view_file",
    "download": "collection_download",
    "replace": "collection_replace",
}
# Stands in for a document's id while a URL is reversed once for a whole listing.
_ANY_ID = 987654321


def item_urls(link, document) -> dict:
    """The visitor URLs of one document, for a document link or inside a collection link."""
    return row_urls(link)(document)


def row_urls(link):
    """``document -> item_urls(link, document)``, each URL reversed once, not per row.

    A folder page lists up to fifty documents with four URLs each; reversing (and
    signing the link's token for) two hundred URLs was most of the page's time.
    """
    if link.target_type == TargetType.DOCUMENT:
        urls = {
            "page": _url("landing", link),
            "view": _url("view_file", link),
            "download": _url("download", link),
            "replace": _url("replace", link),
        }
        return lambda document: dict(urls)
    # The id is the last number in the path: split at its last occurrence.
    parts = {
        key: _url(name, link, _ANY_ID).rpartition(str(_ANY_ID))[::2]
        for key, name in _ITEM_NAMES.items()
    }
    return lambda document: {
        key: f"{head}{int(document.pk)}{tail}" for key, (head, tail) in parts.items()
    }


@dataclass(frozen=True, slots=True)
class Row:
    """One document of a folder page, every value ready to print (escaped on output)."""

    document: object
    page: str
    download: str
    extension: str
    size: str
    added_iso: str
    added: str
    download_label: str


def listing_rows(link, documents) -> list[Row]:
    """The rows of a folder page, formatted in Python rather than by template filters.

    A page shows up to fifty documents; formatting their dates, sizes and labels with
    filters and ``blocktranslate`` cost a quarter of a millisecond a row, most of the
    difference between a folder of ten documents and one of ten thousand.
    """
    urls_of = row_urls(link)
    label = gettext("Download %(title)s")
    dates = {}  # documents uploaded together share a day: format each day once
    rows = []
    for document in documents:
        urls = urls_of(document)
        added = document.created_at
        if added is not None and timezone.is_aware(added):
            added = timezone.localtime(added)
        day = added.date() if added else None
        if day not in dates:
            dates[day] = formats.date_format(added, "SHORT_DATE_FORMAT") if day else ""
        rows.append(
            Row(
                document=document,
                page=urls["page"],
                download=urls["download"],
                extension=document.file_extension.upper(),
                size=filesizeformat(document.file_size) if document.file_size else "",
                added_iso=added.isoformat() if added else "",
                added=dates[day],
                download_label=label % {"title": document.title},
            )
        )
    return rows


def folder_urls(link, folder) -> dict:
    if folder.pk == link.collection_id:
        return {
            "page": _url("landing", link),
            "zip": _url("zip", link),
            "upload": _url("upload", link),
        }
    return {
        "page": _url("folder", link, folder.pk),
        "zip": _url("folder_zip", link, folder.pk),
        "upload": _url("folder_upload", link, folder.pk),
    }


def refuse(request: HttpRequest, link, message_template, status=403, **context):
    """A visitor page saying what the link does not allow (nothing is changed)."""
    return render_page(
        request, T + message_template, {"link": link, **context}, status=status
    )


def _allowances(link, access) -> dict:
    return {
        kind: limits.allowance(link, access.recipient, kind)
        for kind, limit in (
            (limits.OPENS, link.max_opens),
            (limits.DOWNLOADS, link.max_downloads),
        )
        if limit is not None
    }


def document_page(
    request: HttpRequest, link, access, document, status=200, upload_error=""
):
    if not Role.can_see(link.role):
        return refuse(request, link, "upload_only.html")
    context = {
        "link": link,
        "document": document,
        "access": access,
        "urls": item_urls(link, document),
        "can_download": Role.can_download(link.role),
        "can_replace": Role.can_replace(link.role),
        "preview": preview_kind(document.content_type),
        "sharer": link.created_by,
        "upload_error": upload_error,
        "uploaded": request.GET.get("uploaded") == "1",
        "allowances": _allowances(link, access),
    }
    # Pages rendered on the server: a view-only link never sends the file, and a link
    # with a download limit shows pages without spending a download.
    if Role.is_view_only(link.role) or link.max_downloads is not None:
        context["viewer"] = viewer.viewer_context(
            request, link, document, context["urls"]["page"]
        )
    if link.target_type == TargetType.COLLECTION:
        crumbs = browsing.list_folder(link, document.collection).breadcrumbs
        context["breadcrumbs"] = [(crumb, folder_urls(link, crumb)) for crumb in crumbs]
        context["folder_urls"] = folder_urls(link, document.collection)
    return render_page(request, T + "document.html", context, status=status)


def folder_page(
    request: HttpRequest, link, access, folder, status=200, upload_error=""
):
    can_see = Role.can_see(link.role)
    context = {
        "link": link,
        "access": access,
        "folder": folder,
        "urls": folder_urls(link, folder),
        "can_see": can_see,
        "can_download": Role.can_download(link.role),
        "can_upload": Role.can_upload(link.role),
        "upload_error": upload_error,
        "uploaded": request.GET.get("uploaded") == "1",
        "sorts": SORT_LABELS,
        "allowances": _allowances(link, access),
    }
    if can_see:
        listing = browsing.list_folder(
            link,
            folder,
            query=request.GET.get("q", ""),
            sort=request.GET.get("sort", "title"),
            page_number=request.GET.get("page", 1),
        )
        rows = listing_rows(link, listing.page.object_list)
        subfolders = [(sub, folder_urls(link, sub)) for sub in listing.subfolders]
        crumbs = [(crumb, folder_urls(link, crumb)) for crumb in listing.breadcrumbs]
        context.update(
            listing=listing, rows=rows, subfolders=subfolders, breadcrumbs=crumbs
        )
    return render_page(request, T + "folder.html", context, status=status)


def page_preview(
    request: HttpRequest,
    link,
    access,
    *,
    status: int | None = None,
    comment_error: str = "",
    comment_text: str = "",
):
    """The shared page as Wagtail's preview renders it, with the banner (SPEC §2
    *Page preview*) and, when the link allows it, the comment form. The content is
    gone (page deleted, pinned revision purged): the same 410 page as a deleted
    document. ``status`` and the ``comment_*`` values re-show a refused comment."""
    obj = previews.preview_object(link)
    if obj is None:
        return render_page(request, T + "gone.html", {"link": link}, status=410)
    sharer = link.created_by
    author = comments.author_of(access)
    context = {
        "link": link,
        "sharer_name": (sharer.get_full_name() or sharer.get_username())
        if sharer is not None
        else "",
        "expires_at": link.effective_expiry(),
        "follows_draft": link.page_version != PageRevision.SHARED,
        "can_sign_out": access.grant is not None,
        "sign_out_url": _url("sign_out", link),
        "can_comment": comments.accepts_comments(link) and bool(author),
        "comment_author": author,
        "comment_url": _url("comment", link),
        "comment_max": comments.MAX_LENGTH,
        "comment_error": comment_error,
        "comment_text": comment_text,
        "commented": status is None and request.GET.get("commented") == "1",
    }
    response = previews.render_preview(request, link, obj, context, status=status)
    if status is None:
        record_event(
            EventType.VIEWED,
            link=link,
            recipient=access.recipient,
            request=request,
            detail={"page": link.page_id, "content": link.page_version},
        )
    return response


def document_or_404(request: HttpRequest, link, document_id):
    """``(document, None)`` if the link reaches it now, else ``(None, a 404 page)``."""
    document = browsing.get_document(link, document_id)
    if document is None:
        return None, render_page(
            request, T + "removed_item.html", {"link": link}, status=404
        )
    return document, None


def folder_or_404(request: HttpRequest, link, folder_id):
    """``(folder, None)`` if the link reaches it now, else ``(None, a 404 page)``."""
    folder = browsing.get_folder(link, folder_id)
    if folder is None:
        return None, render_page(
            request, T + "removed_item.html", {"link": link}, status=404
        )
    return folder, None


@link_view
@require_GET
@with_access
def collection_document(request: HttpRequest, link, access, document_id: int):
    document, error = document_or_404(request, link, document_id)
    return error or document_page(request, link, access, document)


@link_view
@require_GET
@with_access
def folder(request: HttpRequest, link, access, folder_id: int):
    found, error = folder_or_404(request, link, folder_id)
    return error or folder_page(request, link, access, found)
