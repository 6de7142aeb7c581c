"""What stands between a visitor and the item: access itself, then terms to
accept and the link's open limit. ``with_access`` guards every view that shows the
item or a part of it; the landing page and the rendered pages call ``item_gate``.
"""

from functools import wraps

from django.http import HttpRequest, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wagtail_securelink import services
from wagtail_securelink.choices import Audience, EventType
from wagtail_securelink.core.tokens import landing_path
from wagtail_securelink.serving import limits
from wagtail_securelink.serving.headers import render_page
from wagtail_securelink.visitor.decorators import link_view

T = "wagtail_securelink/visitor/"

__all__ = ["item_gate", "with_access", "accept_terms"]


def _terms_page(request: HttpRequest, link, status=200, error=""):
    return render_page(
        request,
        T + "terms.html",
        {"link": link, "terms_text": link.terms, "error": error},
        status=status,
    )


def needs_open_button(request: HttpRequest, link) -> bool:
    """A link for anyone or for signed-in people with an open limit takes an open
    only on a person's action (a POST), never on a GET: mail scanners (Safe Links,
    Proofpoint, Mimecast) fetch every link in a mail before the person clicks, and
    would otherwise use the last open up. A link for specific people counts only after
    the code, which is already such an action."""
    return (
        link.max_opens is not None
        and link.audience != Audience.SPECIFIC
        and request.method != "POST"
        and not limits.opened_in_session(request, link)
    )


def item_gate(request: HttpRequest, link, access, *, landing: bool = False):
    """A page to show instead of the item, or ``None`` when the item may show.
    ``landing``: the link's own page, which shows the "Open" button where one is
    needed; any other page of the link sends the visitor there first."""
    if link.terms and not limits.terms_accepted(request, link):
        return _terms_page(request, link)
    if needs_open_button(request, link):
        if not landing:
            return HttpResponseRedirect(landing_path(link))
        return render_page(request, T + "open.html", {"link": link})
    if link.max_opens is not None and not limits.take_open(link, access, request):
        return render_page(
            request,
            T + "limit_reached.html",
            {"link": link, "kind": limits.OPENS},
            status=403,
        )
    return None


def with_access(view):
    """Run ``view(request, link, access, ...)`` only for a visitor who holds access now
    (S9: checked on every request) and has passed the item's gate; anyone else goes
    back to the link's landing page."""

    @wraps(view)
    def wrapper(request: HttpRequest, link, *args, **kwargs):
        access = services.get_access(link, request)
        if not access.ok:
            return HttpResponseRedirect(landing_path(link))
        return item_gate(request, link, access) or view(
            request, link, access, *args, **kwargs
        )

    return wrapper


@link_view
@require_POST
def accept_terms(request: HttpRequest, link):
    """The visitor ticks "I accept": an access event records the address, the time and
    the version of the terms, then the item shows."""
    access = services.get_access(link, request)
    landing = landing_path(link)
    if not access.ok or not link.terms:
        return HttpResponseRedirect(landing)
    if request.POST.get("accept") != "yes":
        return _terms_page(
            request,
            link,
            status=400,
            error=_("Tick the box to accept the terms, or close this page."),
        )
    version = limits.terms_version(link.terms)
    limits.remember_terms(request, link)
    services.record_event(
        EventType.TERMS_ACCEPTED,
        link=link,
        recipient=access.recipient,
        request=request,
        detail={"terms_version": version},
    )
    # Accepting is the person's action: it takes the open too (no second button).
    return item_gate(request, link, access) or _see_other(landing)


def _see_other(url: str):
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


@link_view
@require_POST
def open_item(request: HttpRequest, link):
    """The visitor presses "Open": one of the link's opens is taken, then the item
    shows (``needs_open_button``)."""
    access = services.get_access(link, request)
    landing = landing_path(link)
    if not access.ok:
        return HttpResponseRedirect(landing)
    return item_gate(request, link, access) or _see_other(landing)
