"""A page preview link's content: the page as Wagtail's own preview renders it.

Wagtail builds the response (``make_preview_request``: its dummy request, the site's
middleware, ``serve_preview`` in the page's default preview mode); this module picks
the revision the link shows, keeps the reviewer's session out of that dummy request,
and puts a banner at the top of the page. Nothing of Wagtail's rendering is copied.
"""

import re

from django.http import HttpResponse
from django.template.loader import render_to_string

from wagtail_securelink.choices import PageRevision

__all__ = ["PREVIEW_CSP", "preview_object", "render_preview", "insert_banner"]

# The page brings its own styles, scripts and images, as it would on the live site;
# it is still never framed by another site (S10) and its forms post only here.
PREVIEW_CSP = "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

# Request headers of the reviewer that never reach the dummy request: without the
# session cookie the page renders for an anonymous visitor (no user bar, no private
# documents or images through the reviewer's own account), and no page code sees the
# link's grant cookie.
_PRIVATE_HEADERS = ("HTTP_COOKIE", "HTTP_AUTHORIZATION")

_BODY_OPEN = re.compile(rb"<body\b[^>]*>", re.IGNORECASE)


def preview_object(link):
    """The page object the link shows now, or ``None`` when that content is gone: the
    page deleted, or the pinned revision purged."""
    page = link.page
    if page is None:
        return None
    if link.page_version == PageRevision.SHARED:
        revision = link.page_revision
        return None if revision is None else revision.as_object()
    return page.get_latest_revision_as_object()


class _AnonymousOriginal:
    """What ``make_preview_request`` reads of the original request (its ``META`` and
    ``build_absolute_uri``), minus the reviewer's cookies and credentials."""

    def __init__(self, request):
        self._request = request
        self.META = {
            key: value
            for key, value in request.META.items()
            if key not in _PRIVATE_HEADERS
        }

    def build_absolute_uri(self, location=None):
        return self._request.build_absolute_uri(location)


def insert_banner(content: bytes, banner: str) -> bytes:
    """``banner`` (a rendered template: escaped already) right after the ``<body>``
    tag, or first when there is none."""
    encoded = banner.encode("utf-8")
    match = _BODY_OPEN.search(content)
    if match is None:
        return encoded + content
    return content[: match.end()] + encoded + content[match.end() :]


def render_preview(
    request, link, obj, context: dict, status: int | None = None
) -> HttpResponse:
    """The preview of ``obj`` with the banner (``context`` for its template), with
    Wagtail's status unless ``status`` is given (a refused comment: 400).

    A fresh response carries Wagtail's body and content type only: cookies the dummy
    request set (CSRF, session) belong to no one and are dropped.
    """
    rendered = obj.make_preview_request(
        original_request=_AnonymousOriginal(request),
        preview_mode=obj.default_preview_mode,
    )
    content = rendered.content
    content_type = rendered.get("Content-Type", "text/html; charset=utf-8")
    if content_type.startswith("text/html"):
        banner = render_to_string(
            "wagtail_securelink/visitor/page_banner.html", context, request=request
        )
        content = insert_banner(content, banner)
    response = HttpResponse(
        content, content_type=content_type, status=status or rendered.status_code
    )
    response["Content-Security-Policy"] = PREVIEW_CSP
    return response
