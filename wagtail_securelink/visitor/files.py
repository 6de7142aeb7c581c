"""The files a visitor with access gets: one document (shown inline or downloaded) and
a folder as a ZIP (SPEC §4).

Every file sent is recorded, sends ``signals.item_accessed`` and Wagtail's own
``document_served`` signal, so download analytics see secure downloads too. A ``HEAD``
is answered as the ``GET`` would be, without the body (the WSGI server drops it) and
without taking a download, recording an event or sending a signal. Wagtail's
``before_serve_document`` hooks do not run here: they guard the public view. What a
role allows is ``Role``'s; the ZIP's scope and size cap are ``browsing``'s.
"""

from django.http import HttpRequest, StreamingHttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe
from wagtail.documents.models import document_served

from wagtail_securelink import services, signals
from wagtail_securelink.choices import EventType, Role
from wagtail_securelink.models import ShareLink
from wagtail_securelink.serving import browsing, limits
from wagtail_securelink.serving.files import is_inline_safe, serve_document
from wagtail_securelink.serving.headers import ATTACHMENT_CSP
from wagtail_securelink.serving.zipstream import stream_zip, zip_entries
from wagtail_securelink.visitor import viewer
from wagtail_securelink.visitor.content import document_or_404, folder_or_404, refuse
from wagtail_securelink.visitor.decorators import link_view
from wagtail_securelink.visitor.gates import with_access

__all__ = ["serve", "document_file", "collection_file", "download_zip"]


def _take_download(request: HttpRequest, link, access) -> bool:
    """Take one download; a ``HEAD`` only reads whether one is left."""
    if request.method == "HEAD":
        if link.max_downloads is None:
            return True
        return not limits.allowance(link, access.recipient, limits.DOWNLOADS).exhausted
    return limits.take_download(link, access)


def serve(request: HttpRequest, link, access, document, *, inline: bool):
    if not Role.can_see(link.role):
        return refuse(request, link, "upload_only.html")
    if Role.is_view_only(link.role):  # a view-only visitor never gets the file
        return refuse(request, link, "no_download.html", document=document)
    if inline and not is_inline_safe(document.content_type):
        return refuse(request, link, "no_preview.html", status=404, document=document)
    if not inline and not Role.can_download(link.role):
        return refuse(request, link, "no_download.html", document=document)
    counted = not inline or link.max_downloads is not None
    if counted and not _take_download(request, link, access):
        return refuse(request, link, "limit_reached.html", kind=limits.DOWNLOADS)
    stamped = None
    if link.watermark_downloads:  # a PDF goes out stamped, or not at all
        stamped = viewer.stamped_download(request, link, access, document, inline)
        if stamped is not None and stamped.status_code != 200:
            return stamped
    if request.method == "HEAD":
        return stamped or serve_document(request, document, inline=inline)
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
    document_served.send(sender=type(document), instance=document, request=request)
    if stamped is not None:
        return stamped
    return serve_document(request, document, inline=inline)


@link_view
@require_safe
@with_access
def document_file(request: HttpRequest, link, access, inline: bool = False):
    return serve(request, link, access, link.document, inline=inline)


@link_view
@require_safe
@with_access
def collection_file(
    request: HttpRequest, link, access, document_id: int, inline: bool = False
):
    document, error = document_or_404(request, link, document_id)
    return error or serve(request, link, access, document, inline=inline)


@link_view
@require_safe
@with_access
def download_zip(request: HttpRequest, link, access, folder_id: int | None = None):
    if not Role.can_download(link.role):
        return refuse(request, link, "no_download.html")
    if link.watermark_downloads:  # a ZIP would carry its PDFs unstamped
        return refuse(request, link, "not_stamped.html", zip=True)
    found, error = folder_or_404(request, link, folder_id)
    if error:
        return error
    documents = browsing.zip_documents(link, found)
    size = browsing.zip_size(documents, services.current_policy(request))
    if not size.allowed:
        return refuse(
            request,
            link,
            "zip_too_big.html",
            size=filesizeformat(size.total),
            cap=filesizeformat(size.cap),
        )
    if not _take_download(request, link, access):
        return refuse(request, link, "limit_reached.html", kind=limits.DOWNLOADS)
    documents = list(documents)
    folders = browsing.zip_folders(link, found)
    if request.method == "HEAD":
        return _zip_response(documents, found, folders)
    services.record_event(
        EventType.DOWNLOADED,
        link=link,
        recipient=access.recipient,
        request=request,
        detail={"zip": found.pk, "documents": len(documents)},
    )
    for document in documents:
        document_served.send(sender=type(document), instance=document, request=request)
    return _zip_response(documents, found, folders)


def _zip_response(documents, found, folders) -> StreamingHttpResponse:
    # The generator starts reading files on its first item only: a HEAD reads none.
    response = StreamingHttpResponse(
        stream_zip(zip_entries(documents, found, folders)),
        content_type="application/zip",
    )
    response["Content-Disposition"] = content_disposition_header(
        True, f"{found.name or 'documents'}.zip"
    )
    response["Content-Security-Policy"] = ATTACHMENT_CSP
    return response
