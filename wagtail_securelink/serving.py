"""Serving a document's file to a verified visitor (S10, SPEC §8).

Follows ``WAGTAILDOCS_SERVE_METHOD`` like Wagtail's own serve view: redirect to the
storage's URL (short-lived when the storage signs URLs), or stream from the local path
through ``wagtail.utils.sendfile`` (which hands off to ``SENDFILE_BACKEND`` when one is
configured), or stream from storage.
"""

from django.conf import settings as django_settings
from django.http import FileResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header
from wagtail.utils import sendfile_streaming_backend
from wagtail.utils.sendfile import sendfile

from .http import FILE_CSP

__all__ = ["is_inline_safe", "serve_document", "preview_kind"]

_INLINE_TYPES = {
    "application/pdf",
    "text/plain",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/bmp",
}


def is_inline_safe(content_type: str) -> bool:
    """PDF, plain text, audio, video and raster images: never SVG, HTML or XML (S10)."""
    content_type = (content_type or "").split(";")[0].strip().lower()
    if content_type in _INLINE_TYPES:
        return True
    return content_type.startswith(("audio/", "video/"))


def preview_kind(content_type: str) -> str:
    """How the document page previews a type: "image", "audio", "video", "open" or ""."""
    if not is_inline_safe(content_type):
        return ""
    major = content_type.split("/")[0]
    return major if major in ("image", "audio", "video") else "open"


def _serve_method(document) -> str:
    method = getattr(django_settings, "WAGTAILDOCS_SERVE_METHOD", None)
    if method:
        return method
    try:
        has_path = bool(document.file.path)
    except NotImplementedError:
        has_path = False
    return "serve_view" if has_path else "redirect"


def serve_document(request, document, *, inline: bool):
    content_type = document.content_type
    inline = inline and is_inline_safe(content_type)
    if _serve_method(document) in ("redirect", "direct"):
        try:
            return HttpResponseRedirect(document.file.url)
        except NotImplementedError:
            pass
    try:
        local_path = document.file.path
    except NotImplementedError:
        local_path = None
    if local_path:
        options = {}
        if not hasattr(django_settings, "SENDFILE_BACKEND"):
            options["backend"] = sendfile_streaming_backend.sendfile
        response = sendfile(request, local_path, mimetype=content_type, **options)
    else:
        response = FileResponse(document.file.open("rb"), content_type=content_type)
        response["Content-Length"] = document.file.size
    response["Content-Disposition"] = content_disposition_header(
        not inline, document.filename
    )
    response["Content-Type"] = content_type
    if inline:
        response["Content-Security-Policy"] = FILE_CSP
    else:
        response["Content-Security-Policy"] = (
            "default-src 'none'; frame-ancestors 'none'"
        )
    return response
