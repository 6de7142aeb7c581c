"""What a visitor with access sees and does: documents, folders, files, ZIP, uploads (SPEC §4).

Every view re-checks access server-side (S9) and re-resolves the document against the
link's scope at request time (S11). Business rules live in ``services``, ``browsing``
and ``uploads``; these views only translate them to pages.
"""

from functools import wraps

from django.core.exceptions import ValidationError
from django.db.models import F, Sum
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from wagtail.documents.models import document_served

from .. import browsing, limits, services, signals, uploads
from ..choices import EventType, Role, TargetType
from ..http import ATTACHMENT_CSP, accepts_upload, render_page
from ..models import ShareLink
from ..serving import is_inline_safe, preview_kind, serve_document
from ..zipstream import stream_zip, zip_entries
from . import gates, viewer

T = "wagtail_securelink/visitor/"
CAN_SEE = (Role.VIEW, Role.DOWNLOAD, Role.EDIT)
CAN_DOWNLOAD = (Role.DOWNLOAD, Role.EDIT)
CAN_UPLOAD = (Role.EDIT, Role.UPLOAD)
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


def item_urls(link, document) -> dict:
    """The visitor URLs of one document, for a document link or inside a collection link."""
    if link.target_type == TargetType.DOCUMENT:
        return {
            "page": _url("landing", link),
            "view": _url("view_file", link),
            "download": _url("download", link),
            "replace": _url("replace", link),
        }
    return {
        "page": _url("collection_document", link, document.pk),
        "view": _url("collection_view_file", link, document.pk),
        "download": _url("collection_download", link, document.pk),
        "replace": _url("collection_replace", link, document.pk),
    }


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


def _forbidden(request, link, message_template, status=403, **context):
    return render_page(
        request, T + message_template, {"link": link, **context}, status=status
    )


def with_access(view):
    """Run ``view(request, link, access, ...)`` only for a visitor who holds access now."""

    @wraps(view)
    def wrapper(request, link, *args, **kwargs):
        access = services.get_access(link, request)
        if not access.ok:
            return HttpResponseRedirect(_url("landing", link))
        return gates.item_gate(request, link, access) or view(
            request, link, access, *args, **kwargs
        )

    return wrapper


def _allowances(link, access) -> dict:
    return {
        kind: limits.allowance(link, access.recipient, kind)
        for kind, limit in (
            (limits.OPENS, link.max_opens),
            (limits.DOWNLOADS, link.max_downloads),
        )
        if limit is not None
    }


def record_open(link: ShareLink, access, request) -> None:
    ShareLink.objects.filter(pk=link.pk).update(
        open_count=F("open_count") + 1, last_opened_at=timezone.now()
    )
    services.record_event(
        EventType.OPENED, link=link, recipient=access.recipient, request=request
    )


def document_page(request, link, access, document, status=200, upload_error=""):
    if link.role not in CAN_SEE:
        return _forbidden(request, link, "upload_only.html")
    context = {
        "link": link,
        "document": document,
        "access": access,
        "urls": item_urls(link, document),
        "can_download": link.role in CAN_DOWNLOAD,
        "can_replace": link.role == Role.EDIT,
        "preview": preview_kind(document.content_type),
        "sharer": link.created_by,
        "upload_error": upload_error,
        "uploaded": request.GET.get("uploaded") == "1",
        "allowances": _allowances(link, access),
    }
    # Pages rendered on the server: a view-only link never sends the file, and a link
    # with a download limit shows pages without spending a download (issue 16).
    if link.role == Role.VIEW or link.max_downloads is not None:
        context["viewer"] = viewer.viewer_context(
            request, link, document, context["urls"]["page"]
        )
    if link.target_type == TargetType.COLLECTION:
        crumbs = browsing.list_folder(link, document.collection).breadcrumbs
        context["breadcrumbs"] = [(crumb, folder_urls(link, crumb)) for crumb in crumbs]
        context["folder_urls"] = folder_urls(link, document.collection)
    return render_page(request, T + "document.html", context, status=status)


def folder_page(request, link, access, folder, status=200, upload_error=""):
    context = {
        "link": link,
        "access": access,
        "folder": folder,
        "urls": folder_urls(link, folder),
        "can_see": link.role in CAN_SEE,
        "can_download": link.role in CAN_DOWNLOAD,
        "can_upload": link.role in CAN_UPLOAD,
        "upload_error": upload_error,
        "uploaded": request.GET.get("uploaded") == "1",
        "sorts": SORT_LABELS,
        "allowances": _allowances(link, access),
    }
    if link.role in CAN_SEE:
        listing = browsing.list_folder(
            link,
            folder,
            query=request.GET.get("q", ""),
            sort=request.GET.get("sort", "title"),
            page_number=request.GET.get("page", 1),
        )
        rows = [
            (document, item_urls(link, document))
            for document in listing.page.object_list
        ]
        subfolders = [(sub, folder_urls(link, sub)) for sub in listing.subfolders]
        crumbs = [(crumb, folder_urls(link, crumb)) for crumb in listing.breadcrumbs]
        context.update(
            listing=listing, rows=rows, subfolders=subfolders, breadcrumbs=crumbs
        )
    return render_page(request, T + "folder.html", context, status=status)


def _document_or_404(request, link, document_id):
    document = browsing.get_document(link, document_id)
    if document is None:
        return None, render_page(
            request, T + "removed_item.html", {"link": link}, status=404
        )
    return document, None


def _folder_or_404(request, link, folder_id):
    folder = browsing.get_folder(link, folder_id)
    if folder is None:
        return None, render_page(
            request, T + "removed_item.html", {"link": link}, status=404
        )
    return folder, None


@require_GET
@with_access
def collection_document(request, link, access, document_id):
    document, error = _document_or_404(request, link, document_id)
    return error or document_page(request, link, access, document)


@require_GET
@with_access
def folder(request, link, access, folder_id):
    found, error = _folder_or_404(request, link, folder_id)
    return error or folder_page(request, link, access, found)


def serve(request, link, access, document, *, inline: bool):
    if link.role not in CAN_SEE:
        return _forbidden(request, link, "upload_only.html")
    if link.role == Role.VIEW:  # a view-only visitor never gets the file (issue 16)
        return _forbidden(request, link, "no_download.html", document=document)
    if inline and not is_inline_safe(document.content_type):
        return _forbidden(
            request, link, "no_preview.html", status=404, document=document
        )
    if not inline and link.role not in CAN_DOWNLOAD:
        return _forbidden(request, link, "no_download.html", document=document)
    counted = not inline or link.max_downloads is not None
    if counted and not limits.take_download(link, access):
        return _forbidden(request, link, "limit_reached.html", kind=limits.DOWNLOADS)
    stamped = None
    if link.watermark_downloads:  # issue 16: a PDF goes out stamped, or not at all
        stamped = viewer.stamped_download(request, link, access, document, inline)
        if stamped is not None and stamped.status_code != 200:
            return stamped
    services.record_event(
        EventType.VIEWED if inline else EventType.DOWNLOADED,
        link=link,
        recipient=access.recipient,
        request=request,
        detail={
            "document": document.pk,
            **({"watermarked": True} if stamped is not None else {}),
        },
    )
    signals.item_accessed.send(
        sender=ShareLink,
        link=link,
        document=document,
        action="view" if inline else "download",
        request=request,
    )
    # Wagtail's own signal, so download analytics see secure downloads too. Wagtail's
    # ``before_serve_document`` hooks do not run here: they guard the public view.
    document_served.send(sender=type(document), instance=document, request=request)
    if stamped is not None:
        return stamped
    return serve_document(request, document, inline=inline)


@require_GET
@with_access
def document_file(request, link, access, inline=False):
    return serve(request, link, access, link.document, inline=inline)


@require_GET
@with_access
def collection_file(request, link, access, document_id, inline=False):
    document, error = _document_or_404(request, link, document_id)
    return error or serve(request, link, access, document, inline=inline)


@require_GET
@with_access
def download_zip(request, link, access, folder_id=None):
    if link.role not in CAN_DOWNLOAD:
        return _forbidden(request, link, "no_download.html")
    if link.watermark_downloads:  # a ZIP would carry its PDFs unstamped (issue 16)
        return _forbidden(request, link, "not_stamped.html", zip=True)
    found, error = _folder_or_404(request, link, folder_id)
    if error:
        return error
    policy = services.get_policy(request)
    documents = browsing.documents_in_scope(link)
    if found.pk != link.collection_id:
        documents = documents.filter(collection__path__startswith=found.path)
    documents = documents.order_by("collection__path", "title", "pk")
    total = documents.aggregate(total=Sum("file_size"))["total"] or 0
    cap = policy.zip_max_mb * 1024 * 1024
    if total > cap:
        return _forbidden(
            request,
            link,
            "zip_too_big.html",
            size=filesizeformat(total),
            cap=filesizeformat(cap),
        )
    if not limits.take_download(link, access):
        return _forbidden(request, link, "limit_reached.html", kind=limits.DOWNLOADS)
    documents = list(documents)
    folders = (
        list(found.get_descendants(inclusive=True))
        if link.include_descendants
        else [found]
    )
    services.record_event(
        EventType.DOWNLOADED,
        link=link,
        recipient=access.recipient,
        request=request,
        detail={"zip": found.pk, "documents": len(documents)},
    )
    for document in documents:
        document_served.send(sender=type(document), instance=document, request=request)
    response = StreamingHttpResponse(
        stream_zip(zip_entries(documents, found, folders)),
        content_type="application/zip",
    )
    response["Content-Disposition"] = content_disposition_header(
        True, f"{found.name or 'documents'}.zip"
    )
    response["Content-Security-Policy"] = ATTACHMENT_CSP
    return response


def _uploader(access) -> str:
    """Who sent a file: the verified address, a signed-in user's, or "" (anyone link)."""
    if access.recipient is not None:
        return access.recipient.email
    if access.user is not None:
        return getattr(access.user, "email", "") or access.user.get_username()
    return ""


def _upload(request, link, access, *, folder=None, document=None):
    policy = services.get_policy(request)
    try:
        saved = uploads.save_upload(
            uploaded_file=request.FILES.get("file"),
            collection=folder or document.collection,
            document=document,
            user=access.user,
            max_bytes=policy.upload_max_mb * 1024 * 1024,
            link=link,
            uploaded_by=_uploader(access),
        )
    except ValidationError as exc:
        message = " ".join(exc.messages)
        if document is not None:
            return document_page(
                request, link, access, document, status=400, upload_error=message
            )
        return folder_page(
            request, link, access, folder, status=400, upload_error=message
        )
    services.record_event(
        EventType.UPLOADED,
        link=link,
        recipient=access.recipient,
        request=request,
        detail={
            "document": saved.pk,
            "new_version": document is not None,
            "private": True,
        },
    )
    services.notify_upload(link, saved)
    target = (
        item_urls(link, saved)["page"]
        if document is not None
        else folder_urls(link, folder)["page"]
    )
    response = HttpResponseRedirect(f"{target}?uploaded=1")
    response.status_code = 303
    return response


@accepts_upload
@require_POST
@with_access
def upload(request, link, access, folder_id=None):
    if link.role not in CAN_UPLOAD or link.target_type != TargetType.COLLECTION:
        return _forbidden(request, link, "no_upload.html")
    found, error = _folder_or_404(request, link, folder_id)
    return error or _upload(request, link, access, folder=found)


@accepts_upload
@require_POST
@with_access
def replace(request, link, access, document_id=None):
    if link.role != Role.EDIT:
        return _forbidden(request, link, "no_upload.html")
    if document_id is None:
        if link.target_type != TargetType.DOCUMENT:
            return _forbidden(request, link, "no_upload.html")
        document = link.document
    else:
        document, error = _document_or_404(request, link, document_id)
        if error:
            return error
    return _upload(request, link, access, document=document)
