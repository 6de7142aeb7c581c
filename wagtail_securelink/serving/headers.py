"""Response helpers shared by every visitor view: security headers and the content
security policies (S10) and the page renderer."""

from functools import wraps

from django.template.response import TemplateResponse

__all__ = [
    "accepts_upload",
    "secure_headers",
    "PAGE_CSP",
    "PASSKEY_PAGE_CSP",
    "ATTACHMENT_CSP",
    "FILE_CSP",
    "render_page",
]

# HTML pages: our own stylesheet only, no scripts from anywhere, never framed.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# A page that offers passkeys: the same, and our own script, which talks to our own
# endpoints only (``static/wagtail_securelink/passkeys.js``).
PASSKEY_PAGE_CSP = f"{PAGE_CSP}; script-src 'self'; connect-src 'self'"
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


def render_page(request, template, context=None, status=200):
    return TemplateResponse(request, template, context or {}, status=status)
