"""Visitor pages (SPEC §3, §4). Thin: every decision is in ``services``/``access``.

GET never sends a code, consumes anything or creates a session (S8); every state
change is a CSRF-protected POST. Unknown, malformed, revoked and expired links all get
the same 404 page (S1).
"""

import logging
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings as django_settings
from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import grants, ratelimits, services
from ..choices import Audience, EventType, TargetType
from ..conf import settings
from ..forms import AddressForm, CodeForm, PasswordForm
from ..http import render_page, run_after_response, secure_headers
from ..models import ShareLink
from . import content, gates

logger = logging.getLogger(__name__)

T = "wagtail_securelink/visitor/"


def _removed(request, status=404):
    return render_page(request, T + "removed.html", status=status)


def _limited(request, exc: ratelimits.Limited):
    response = render_page(
        request, T + "rate_limited.html", {"retry_after": exc.retry_after}, status=429
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


def _unavailable(request):
    response = render_page(request, T + "unavailable.html", status=503)
    response["Retry-After"] = "30"
    return response


# A form on a visitor page (an address, a code, a password) is well under this.
FORM_BODY_MAX = 64 * 1024
# Room for the multipart boundaries and part headers around an uploaded file.
UPLOAD_OVERHEAD = 64 * 1024


def _body_too_big(request, view):
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
        cap = services.get_policy(request).upload_max_mb * 1024 * 1024
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
    def outer(request, token, *args, **kwargs):
        refused = _body_too_big(request, view)
        return refused or protected(request, token, *args, **kwargs)

    @csrf_protect
    def protected(request, token, *args, **kwargs):
        return wrapper(request, token, *args, **kwargs)

    def wrapper(request, token, *args, **kwargs):
        link = services.resolve_token(token)
        # The policy's limits count too: a lowered maximum ends older links (§6).
        if link is None or not services.is_open(
            link, services.get_policy(request, link=link)
        ):
            try:
                ratelimits.check_limits(request, ratelimits.LOOKUP)
            except ratelimits.Limited as exc:
                return _limited(request, exc)
            except ratelimits.CacheUnavailable:
                return _unavailable(request)
            return _removed(request)
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
        except ratelimits.CacheUnavailable:
            return _unavailable(request)

    outer.csrf_exempt = True  # checked by ``protected`` instead
    return outer


@secure_headers
def not_found(request, rest=""):
    """Any other path under the link prefix: our 404 page, with the S10 headers,
    instead of Django's own (or the slash redirect CommonMiddleware would give)."""
    if django_settings.APPEND_SLASH and not request.path_info.endswith("/"):
        from django.urls import Resolver404, resolve

        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            return HttpResponseRedirect(request.path + "/")
    return _removed(request)


def _verify_context(link, policy, **extra):
    return {
        "link": link,
        "show_name": policy.show_item_name_before_verification,
        "code_length": policy.code_length,
        **extra,
    }


def _gate(request, link, access, policy):
    """The page for a visitor without access: verify, sign in, password, or switched off."""
    if access.disabled:
        return render_page(request, T + "disabled.html", {"link": link}, status=403)
    if access.needs_login:
        return _to_login(link)
    if access.not_for_account:
        return render_page(
            request, T + "not_for_account.html", {"link": link}, status=403
        )
    if access.needs_password:
        context = _verify_context(link, policy, form=PasswordForm())
        return render_page(request, T + "password.html", context)
    form = AddressForm(initial={"email": access.prefill_email})
    context = _verify_context(
        link, policy, form=form, reverify=bool(access.prefill_email)
    )
    return render_page(request, T + "verify_address.html", context)


@link_view
@require_GET
def landing(request, link: ShareLink):
    access = services.get_access(link, request)
    if not access.ok:
        return _gate(request, link, access, services.get_policy(request))
    refused = gates.item_gate(request, link, access)
    if refused is not None:  # terms to accept, or no opens left (issue 16)
        return refused
    content.record_open(link, access, request)
    if link.target_type == TargetType.DOCUMENT:
        return content.document_page(request, link, access, link.document)
    return content.folder_page(request, link, access, link.collection)


@link_view
@require_POST
def password(request, link: ShareLink):
    policy = services.get_policy(request)
    form = PasswordForm(request.POST)
    if link.audience != Audience.ANYONE or not link.password:
        return HttpResponseRedirect(
            reverse("wagtail_securelink:landing", args=[link.token])
        )
    if not form.is_valid():
        return render_page(
            request,
            T + "password.html",
            _verify_context(link, policy, form=form),
            status=400,
        )
    ratelimits.check_limits(request, ratelimits.CHECK, link)
    outcome = services.check_password(link, request, form.cleaned_data["password"])
    if not outcome.ok:
        form.add_error("password", _("That password is not right."))
        return render_page(
            request,
            T + "password.html",
            _verify_context(link, policy, form=form),
            status=400,
        )
    return _granted(request, link, outcome, policy)


def _granted(request, link, outcome, policy):
    response = HttpResponseRedirect(
        reverse("wagtail_securelink:landing", args=[link.token])
    )
    response.status_code = 303
    days = services.reverification_days(link, policy)
    response.set_cookie(
        grants.cookie_name(link, request.is_secure()),
        outcome.cookie_value,
        max_age=days * 86400,
        path="/",
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
    return response


@link_view
@require_POST
def send_code(request, link: ShareLink):
    policy = services.get_policy(request)
    form = AddressForm(request.POST)
    if not form.is_valid():
        context = _verify_context(link, policy, form=form)
        return render_page(request, T + "verify_address.html", context, status=400)
    ratelimits.check_limits(request, ratelimits.SEND, link)
    work = services.request_code(link, form.cleaned_data["email"], request)
    response = HttpResponseRedirect(
        reverse("wagtail_securelink:enter_code", args=[link.token])
    )
    response.status_code = 303
    return run_after_response(response, work)


@link_view
@require_http_methods(["GET", "POST"])
def enter_code(request, link: ShareLink):
    policy = services.get_policy(request)
    email = services.pending_email(request, link)
    if not email:
        return HttpResponseRedirect(
            reverse("wagtail_securelink:landing", args=[link.token])
        )
    context = _verify_context(link, policy, email=email)
    if request.method == "GET":
        return render_page(
            request, T + "verify_code.html", {**context, "form": CodeForm()}
        )
    form = CodeForm(request.POST)
    if not form.is_valid():
        return render_page(
            request, T + "verify_code.html", {**context, "form": form}, status=400
        )
    ratelimits.check_limits(request, ratelimits.CHECK, link)
    outcome = services.verify_code(link, request, form.cleaned_data["code"])
    if outcome.no_pending:
        return HttpResponseRedirect(
            reverse("wagtail_securelink:landing", args=[link.token])
        )
    if outcome.ok:
        return _granted(request, link, outcome, policy)
    if outcome.malformed:
        message = _("Enter the %(digits)s-digit code from the email, digits only.") % {
            "digits": policy.code_length
        }
    elif outcome.dead:
        message = _("This code can no longer be used. Ask for a new code.")
    else:
        message = _("That code is not right. Tries left: %(left)s.") % {
            "left": outcome.tries_left
        }
    form.add_error("code", message)
    context.update(form=form, dead=outcome.dead)
    return render_page(request, T + "verify_code.html", context, status=400)


@link_view
@require_POST
def sign_out(request, link: ShareLink):
    services.sign_out(link, request)
    response = render_page(request, T + "signed_out.html", {"link": link})
    response.delete_cookie(
        grants.cookie_name(link, request.is_secure()), path="/", samesite="Lax"
    )
    return response


def _to_login(link):
    login_url = resolve_url(settings.LOGIN_URL or django_settings.LOGIN_URL)
    target = reverse("wagtail_securelink:landing", args=[link.token])
    return HttpResponseRedirect(f"{login_url}?{urlencode({'next': target})}")


@link_view
@require_GET
def sign_in(request, link: ShareLink):
    """Send a visitor who has an account on this site to the login page, and back."""
    return _to_login(link)
