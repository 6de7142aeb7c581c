"""Serving a document's file to a verified visitor (S10, SPEC §8).

Follows ``WAGTAILDOCS_SERVE_METHOD`` like Wagtail's own serve view:

* ``redirect`` / ``direct``: redirect to a short-lived *signed* URL of the storage, and
  only to one: a storage whose URLs are permanent is streamed instead (S11);
* a local file with a hand-off ``SENDFILE_BACKEND`` (X-Accel-Redirect, X-Sendfile):
  ``wagtail.utils.sendfile``, and the web server sends the bytes and the ranges;
* otherwise streamed from the local path or the storage, with HTTP Range support
  (``ranges``) that Wagtail's own serve view lacks.

Every check has run in the view before this module is reached.
"""

import inspect
import os
from urllib.parse import parse_qs, urlsplit

from django.conf import settings as django_settings
from django.http import Http404, HttpResponseRedirect
from django.utils.http import content_disposition_header
from wagtail.utils.sendfile import sendfile

from wagtail_securelink.serving.headers import ATTACHMENT_CSP, FILE_CSP
from wagtail_securelink.serving.ranges import file_response

__all__ = ["is_inline_safe", "serve_document", "preview_kind", "signed_url"]

# Long enough for the browser to follow the redirect; a download that has started
# goes on past it (S3 checks the signature when the request starts).
SIGNED_URL_SECONDS = 60
# Query parameters of the signed URLs of S3 (SigV4 and V2), Google Cloud Storage,
# CloudFront and Azure (SAS): a signature and an expiry must both be there.
_SIGNATURE_PARAMS = {"x-amz-signature", "signature", "x-goog-signature", "sig"}
_EXPIRY_PARAMS = {"x-amz-expires", "expires", "x-goog-expires", "se", "policy"}
# Backends that stream through Python: ours does that with Range support instead.
_STREAMING_BACKENDS = {
    "wagtail.utils.sendfile_streaming_backend",
    "django_sendfile.backends.simple",
    "sendfile.backends.simple",
}

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


def _hands_off() -> bool:
    """A ``SENDFILE_BACKEND`` that hands the file to the web server (X-Accel-Redirect,
    X-Sendfile): the server then answers Range requests itself."""
    backend = getattr(django_settings, "SENDFILE_BACKEND", None)
    return bool(backend) and backend not in _STREAMING_BACKENDS


def _is_signed(url: str) -> bool:
    query = {key.lower() for key in parse_qs(urlsplit(url).query)}
    return bool(query & _SIGNATURE_PARAMS) and bool(query & _EXPIRY_PARAMS)


def signed_url(document, *, inline: bool) -> str | None:
    """A short-lived signed URL for the document's file, or ``None`` (S11).

    The URL is asked for with a lifetime of ``SIGNED_URL_SECONDS`` where the storage
    takes one (django-storages' S3, Azure), and used only when it carries a signature
    and an expiry: a plain storage URL is permanent and public, so such a document
    is streamed through Django instead of exposing it.
    """
    storage = document.file.storage
    try:
        accepts = inspect.signature(storage.url).parameters
    except (TypeError, ValueError):
        accepts = {}
    kwargs = {}
    if "expire" in accepts:
        kwargs["expire"] = SIGNED_URL_SECONDS
    if "parameters" in accepts and type(storage).__module__.startswith(
        "storages.backends.s3"
    ):
        # S3 sends these back as the response headers, so the browser still gets the
        # right name and disposition from the bucket.
        kwargs["parameters"] = {
            "ResponseContentDisposition": content_disposition_header(
                not inline, document.filename
            ),
            "ResponseContentType": document.content_type,
        }
    try:
        url = storage.url(document.file.name, **kwargs)
    except NotImplementedError:
        return None
    return url if url and _is_signed(url) else None


def _local_response(request, path: str, content_type: str):
    if _hands_off():
        response = sendfile(request, path, mimetype=content_type)
        # Wagtail's sendfile sets Content-Encoding from the file name (".gz" ->
        # "gzip"), which makes browsers unpack a download they should save as is.
        response.headers.pop("Content-Encoding", None)
        return response
    stat = os.stat(path)
    return file_response(
        request,
        lambda: open(path, "rb"),  # the response closes it
        size=stat.st_size,
        content_type=content_type,
        # As nginx does: a new file (replaced by a new version) gets a new tag, so
        # If-Range never resumes across versions.
        etag=f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"',
        last_modified=stat.st_mtime,
        local=True,
    )


def _storage_response(request, document, content_type: str):
    file_hash = getattr(document, "file_hash", "")
    return file_response(
        request,
        lambda: document.file.storage.open(document.file.name, "rb"),
        size=document.file.size,
        content_type=content_type,
        etag=f'"{file_hash}"' if file_hash else None,
    )


def serve_document(request, document, *, inline: bool):
    """The response that gives ``document`` to a visitor who has been let through."""
    content_type = document.content_type
    inline = inline and is_inline_safe(content_type)
    if _serve_method(document) in ("redirect", "direct"):
        url = signed_url(document, inline=inline)
        if url:
            return HttpResponseRedirect(url)
    try:
        local_path = document.file.path
    except NotImplementedError:
        local_path = None
    if local_path:
        if not os.path.exists(local_path):
            raise Http404("The document's file is missing.")
        response = _local_response(request, local_path, content_type)
    else:
        response = _storage_response(request, document, content_type)
    if response.status_code not in (200, 206):
        return response
    response["Content-Disposition"] = content_disposition_header(
        not inline, document.filename
    )
    response["Content-Type"] = content_type
    if inline:
        response["Content-Security-Policy"] = FILE_CSP
    else:
        response["Content-Security-Policy"] = ATTACHMENT_CSP
    return response
