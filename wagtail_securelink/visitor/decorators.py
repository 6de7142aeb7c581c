"""``link_view``: what every visitor view under a link token shares (S1, S10).

The token is resolved to an open link (or the same removed page for every unknown,
malformed, revoked or expired token), the body size is checked before anything reads
it, the CSRF check runs inside, and a rate limit or an unreachable cache becomes its
own page. Each visitor view is decorated with it, so it is correct on its own and
``urls.py`` only maps URLs.
"""

from functools import wraps

from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.views.decorators.csrf import csrf_protect

from wagtail_securelink import services
from wagtail_securelink.choices import EventType
from wagtail_securelink.ratelimit import rules as ratelimits
from wagtail_securelink.serving.headers import render_page, secure_headers
from wagtail_securelink.serving.renders import RenderBusy

__all__ = ["link_view", "removed", "FORM_BODY_MAX", "UPLOAD_OVERHEAD"]

T = "wagtail_securelink/visitor/"

# A form on a visitor page (an address, a code, a password) is well under this.
FORM_BODY_MAX = 64 * 1024
# Room for the multipart boundaries and part headers around an uploaded file.
UPLOAD_OVERHEAD = 64 * 1024


def removed(request: HttpRequest, status: int = 404):
    """The one page for a link that does not exist (any more): it says nothing more."""
    return render_page(request, T + "removed.html", status=status)


def _limited(request: HttpRequest, exc: ratelimits.Limited):
    response = render_page(
        request,
        T + "rate_limited.html",
        {"retry_after": exc.retry_after, "action": exc.action},
        status=429,
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


def _being_prepared(request: HttpRequest, link, exc: RenderBusy):
    """A page being rendered for someone else, or this visitor's renders in progress:
    a prompt 503 that the browser reloads by itself, never a worker held waiting."""
    response = render_page(
        request,
        T + "being_prepared.html",
        {"link": link, "retry_after": exc.retry_after},
        status=503,
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


def _unavailable(request: HttpRequest):
    response = render_page(request, T + "unavailable.html", status=503)
    response["Retry-After"] = "30"
    return response


def _body_too_big(request: HttpRequest, view):
    """Refuse a POST by its ``Content-Length``, before anything reads the body.

    Django's CSRF check reads ``request.POST``, which spools an upload to disk: the
    cap must be applied before it. Django never reads past ``Content-Length`` (its
    ``LimitedStream``), and a request without one has no body for it, so checking the
    header stops reading past the cap too.
    """
    if request.method != "POST":
        return None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if getattr(view, "accepts_upload", False):
        cap = services.current_policy(request).upload_max_mb * 1024 * 1024
        if length <= cap + UPLOAD_OVERHEAD:
            return None
    elif length <= FORM_BODY_MAX:
        return None
    else:
        cap = FORM_BODY_MAX
    response = render_page(
        request, T + "too_big.html", {"max": filesizeformat(cap)}, status=413
    )
    response["Connection"] = "close"  # the rest of the body is never read
    return response


def link_view(view):
    """Resolve the token to an active link, or answer with the removed/limited page.

    Django's CSRF middleware is told to skip these views and the same check runs
    inside them instead, after the size check, so that a CSRF failure is one of our
    pages with the S10 headers, and nothing reads an oversized body (S10, uploads).
    """

    @secure_headers
    @wraps(view)
    def outer(request: HttpRequest, token: str, *args, **kwargs):
        refused = _body_too_big(request, view)
        return refused or protected(request, token, *args, **kwargs)

    @csrf_protect
    def protected(request: HttpRequest, token: str, *args, **kwargs):
        return wrapper(request, token, *args, **kwargs)

    def wrapper(request: HttpRequest, token: str, *args, **kwargs):
        link = services.resolve_token(token)
        # The policy's limits count too: a lowered maximum ends older links (§6).
        if link is None or not link.is_active(
            policy=services.current_policy(request, link=link)
        ):
            try:
                ratelimits.check_limits(request, ratelimits.LOOKUP)
            except ratelimits.Limited as exc:
                return _limited(request, exc)
            except ratelimits.CacheUnavailable:
                return _unavailable(request)
            return removed(request)
        if link.target is None:
            return render_page(request, T + "gone.html", {"link": link}, status=410)
        try:
            return view(request, link, *args, **kwargs)
        except ratelimits.Limited as exc:
            services.record_event(
                EventType.RATE_LIMITED,
                link=link,
                request=request,
                detail={"scope": exc.scope},
            )
            return _limited(request, exc)
        except RenderBusy as exc:
            return _being_prepared(request, link, exc)
        except ratelimits.CacheUnavailable:
            return _unavailable(request)

    outer.csrf_exempt = True  # checked by ``protected`` instead
    return outer
