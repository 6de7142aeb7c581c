"""The page viewer of view-only links: pages rendered on the server.

A ``view`` link never sends the original file. Its document page shows one rendered
page at a time, in plain HTML (no script: the visitor pages' CSP allows none): links
to the previous and next page, a "go to page" form, zoom links, and the page's text
under the image for screen readers and keyboard users. The page image comes from
``page_image``, watermarked for the visitor when the link asks for it.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from wagtail_securelink import services
from wagtail_securelink.choices import EventType, Role, TargetType
from wagtail_securelink.serving import browsing, renders
from wagtail_securelink.serving.headers import ATTACHMENT_CSP, FILE_CSP, render_page
from wagtail_securelink.viewer import rendering, watermarks
from wagtail_securelink.visitor import gates
from wagtail_securelink.visitor.decorators import link_view

T = "wagtail_securelink/visitor/"

__all__ = ["page_image", "viewer_context", "page_image_url", "stamped_download"]


def page_image_url(link, document, number: int) -> str:
    if link.target_type == TargetType.DOCUMENT:
        return reverse("wagtail_securelink:page_image", args=[link.token, number])
    return reverse(
        "wagtail_securelink:collection_page_image",
        args=[link.token, document.pk, number],
    )


def _number(value, default: int) -> int:
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()):
        return default
    try:
        number = int(text)
    except (TypeError, ValueError):
        return default
    return number if 0 < number < 1_000_000 else default


def _zoom(value) -> int:
    zoom = _number(value, rendering.DEFAULT_ZOOM)
    return zoom if zoom in rendering.ZOOMS else rendering.DEFAULT_ZOOM


def viewer_context(request: HttpRequest, link, document, page_url: str) -> dict:
    """What ``viewer.html`` needs for the page the visitor asked for (``?page=&zoom=``).

    Renders the page now when it is not cached, so that the page count is known and a
    file that cannot be rendered is said so on this page rather than as a broken image
    (within the render budgets of ``serving.renders``: past them, its exceptions).
    """
    number = _number(request.GET.get("page"), 1)
    zoom = _zoom(request.GET.get("zoom"))
    viewer = {
        "kind": rendering.render_kind(document),
        "zoom": zoom,
        "view_only": Role.is_view_only(link.role),
    }
    if not viewer["kind"]:
        viewer["error"] = "unsupported"
        return viewer
    try:
        page = renders.get_page(request, link, document, number, zoom)
    except rendering.RenderFailed as failure:
        if failure.reason == "no_such_page" and failure.pages:
            number = failure.pages if number > failure.pages else 1
            try:
                page = renders.get_page(request, link, document, number, zoom)
            except rendering.RenderFailed as again:
                viewer["error"] = again.reason
                return viewer
        else:
            viewer["error"] = failure.reason
            return viewer

    def at(page_number, page_zoom=zoom):
        return f"{page_url}?page={page_number}&zoom={page_zoom}"

    index = rendering.ZOOMS.index(zoom)
    viewer.update(
        page=page,
        image_url=f"{page_image_url(link, document, page.number)}?zoom={zoom}",
        previous_url=at(page.number - 1) if page.number > 1 else "",
        next_url=at(page.number + 1) if page.number < page.pages else "",
        first_url=at(1) if page.number > 1 else "",
        last_url=at(page.pages) if page.number < page.pages else "",
        zoom_in_url=at(page.number, rendering.ZOOMS[index + 1])
        if index + 1 < len(rendering.ZOOMS)
        else "",
        zoom_out_url=at(page.number, rendering.ZOOMS[index - 1]) if index else "",
        zooms=[(z, at(page.number, z)) for z in rendering.ZOOMS],
        page_url=page_url,
        watermarked=link.watermarks_pages(services.current_policy(request)),
    )
    return viewer


def _not_shown(request: HttpRequest, link, reason: str):
    return render_page(
        request,
        T + "page_not_shown.html",
        {"link": link, "reason": reason},
        status=404,
    )


@link_view
@require_GET
def page_image(request: HttpRequest, link, number: int, document_id: int | None = None):
    """One rendered page, as a JPEG, watermarked when the link asks for it."""
    access = services.get_access(link, request)
    if not access.ok or not Role.can_see(link.role):
        return render_page(request, T + "upload_only.html", {"link": link}, 403)
    refused = gates.item_gate(request, link, access)
    if refused is not None:  # terms not accepted, or no opens left
        return refused
    if document_id is None:
        document = link.document if link.target_type == TargetType.DOCUMENT else None
    else:
        document = browsing.get_document(link, document_id)
    if document is None:
        return render_page(request, T + "removed_item.html", {"link": link}, 404)
    try:
        zoom = _zoom(request.GET.get("zoom"))
        page = renders.get_page(request, link, document, number, zoom)
    except rendering.RenderFailed as failure:
        return _not_shown(request, link, failure.reason)
    image = page.image
    watermarked = link.watermarks_pages(services.current_policy(request))
    if watermarked:
        image = watermarks.stamp_image(image, watermarks.watermark_text(link, access))
    services.record_event(
        EventType.VIEWED,
        link=link,
        recipient=access.recipient,
        request=request,
        detail={
            "document": document.pk,
            "page": page.number,
            "rendered": True,
            "watermarked": watermarked,
        },
    )
    response = HttpResponse(image, content_type="image/jpeg")
    response["Content-Disposition"] = content_disposition_header(
        False, f"page-{page.number}.jpg"
    )
    response["Content-Security-Policy"] = FILE_CSP
    return response


def stamped_download(request: HttpRequest, link, access, document, inline=False):
    """For a link that watermarks downloads: the PDF stamped for this visitor, or a
    page saying why it cannot be (too large for the policy's cap, unreadable); never
    the unstamped file. ``None`` for a file that is not a PDF (sent as it is)."""
    if rendering.render_kind(document) != "pdf":
        return None
    policy = services.current_policy(request)
    cap = policy.watermark_pdf_max_mb * 1024 * 1024
    if (document.file_size or document.file.size) > cap:
        return render_page(
            request,
            T + "not_stamped.html",
            {"link": link, "document": document, "too_big": True},
            status=403,
        )
    try:
        data = rendering.stamped_pdf(document, watermarks.watermark_text(link, access))
    except rendering.RenderFailed:
        return render_page(
            request,
            T + "not_stamped.html",
            {"link": link, "document": document},
            status=403,
        )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        not inline, document.filename
    )
    response["Content-Security-Policy"] = FILE_CSP if inline else ATTACHMENT_CSP
    return response
