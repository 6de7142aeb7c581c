"""Response helpers shared by every visitor view: security headers and the content
security policies (S10), the page renderer, and running work after the response has
been sent (S7)."""

from functools import wraps

from django.template.response import TemplateResponse

__all__ = [
    "accepts_upload",
    "secure_headers",
    "PAGE_CSP",
    "ATTACHMENT_CSP",
    "FILE_CSP",
    "render_page",
    "run_after_response",
]

# HTML pages: our own stylesheet only, no scripts from anywhere, never framed.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# Files shown inline: sandboxed, so an HTML or SVG smuggled in as another type cannot run.
FILE_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"
# A file sent as an attachment (downloads, ZIP): nothing in it may load or be framed.
ATTACHMENT_CSP = "default-src 'none'; frame-ancestors 'none'"


def apply_headers(response):
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["X-Content-Type-Options"] = "nosniff"
    if "Content-Security-Policy" not in response:
        response["Content-Security-Policy"] = PAGE_CSP
    # Wagtail's sendfile sets a literal "None" Content-Encoding when it guesses none.
    if (
        response.get("Content-Encoding") in (None, "None")
        and "Content-Encoding" in response
    ):
        del response["Content-Encoding"]
    return response


def accepts_upload(view):
    """Mark a view whose POST carries a file: its body may reach the upload cap."""
    view.accepts_upload = True
    return view


def secure_headers(view):
    """Decorate a visitor view so that every response it gives carries the S10 headers."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return apply_headers(view(request, *args, **kwargs))

    return wrapper


class AfterResponse(TemplateResponse):
    """A page whose ``close()`` (called by the WSGI server once the body is sent) runs
    deferred work: sending a code then costs the visitor no time, whoever they are."""

    def __init__(self, *args, after=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._after = after

    def close(self):
        # The body has been sent by now. The work runs before ``super().close()`` fires
        # ``request_finished``, so it still belongs to this request (database
        # connection handling, notices queued for the end of the request).
        try:
            if self._after is not None:
                work, self._after = self._after, None
                work()
        finally:
            super().close()


def render_page(request, template, context=None, status=200, after=None):
    return AfterResponse(request, template, context or {}, status=status, after=after)


def run_after_response(response, work):
    """Attach ``work`` to an ``AfterResponse`` (a no-op wrapper for other responses)."""
    if work is None:
        return response
    if isinstance(response, AfterResponse):
        response._after = work
        return response
    previous_close = response.close

    def close():
        try:
            work()
        finally:
            previous_close()

    response.close = close
    return response
