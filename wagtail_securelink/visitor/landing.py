"""Visitor pages before the item (SPEC §3): the landing page, the address, code and
password forms, sign in and sign out, and "Ask the person who shared this". Thin: every decision is in ``services``/``access``.

GET never sends a code, consumes anything or creates a session (S8); every state
change is a CSRF-protected POST. Unknown, malformed, revoked and expired links all get
the same 404 page (S1).
"""

from urllib.parse import urlencode

from django.conf import settings as django_settings
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wagtail_securelink import services
from wagtail_securelink.choices import Audience, TargetType
from wagtail_securelink.conf import settings
from wagtail_securelink.core.tokens import landing_path
from wagtail_securelink.mail.messages import sender_address
from wagtail_securelink.models import ShareLink
from wagtail_securelink.ratelimit import rules as ratelimits
from wagtail_securelink.serving import limits
from wagtail_securelink.serving.headers import (
    PASSKEY_PAGE_CSP,
    render_page,
    secure_headers,
)
from wagtail_securelink.sharing import access_requests
from wagtail_securelink.verification import grants, passkeys
from wagtail_securelink.visitor import content, gates
from wagtail_securelink.visitor.decorators import link_view, removed
from wagtail_securelink.visitor.forms import (
    AccessRequestForm,
    AddressForm,
    CodeForm,
    PasswordForm,
)

T = "wagtail_securelink/visitor/"


@secure_headers
def not_found(request: HttpRequest, rest: str = ""):
    """Any other path under the link prefix: our 404 page, with the S10 headers,
    instead of Django's own (or the slash redirect CommonMiddleware would give)."""
    if django_settings.APPEND_SLASH and not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            return HttpResponseRedirect(request.path + "/")
    return removed(request)


def _verify_context(link, policy, **extra):
    return {
        "link": link,
        "show_name": policy.show_item_name_before_verification,
        "code_length": policy.code_length,
        # The help for a code that does not come: the same for every address (S7),
        # from the settings and the policy only.
        "sender_address": sender_address(),
        "resend_after_seconds": policy.resend_cooldown_seconds,
        "passkeys": passkeys.sign_in_offered(link, policy),
        **extra,
    }


def _passkey_page(response, offered: bool):
    """Let the page run our passkey script, where it offers one."""
    if offered:
        response["Content-Security-Policy"] = PASSKEY_PAGE_CSP
    return response


def _gate(request: HttpRequest, link, access, policy):
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
    return _passkey_page(
        render_page(request, T + "verify_address.html", context), context["passkeys"]
    )


@link_view
@require_GET
def landing(request: HttpRequest, link: ShareLink):
    access = services.get_access(link, request)
    if not access.ok:
        return _gate(request, link, access, services.current_policy(request))
    refused = gates.item_gate(request, link, access, landing=True)
    if refused is not None:  # terms to accept, or no opens left
        return refused
    limits.record_open(link, access, request)
    if link.target_type == TargetType.PAGE:
        return content.page_preview(request, link, access)
    if link.target_type == TargetType.DOCUMENT:
        response = content.document_page(request, link, access, link.document)
    else:
        response = content.folder_page(request, link, access, link.collection)
    return _passkey_page(response, passkeys.save_offered(request, link, access))


@link_view
@require_POST
def password(request: HttpRequest, link: ShareLink):
    policy = services.current_policy(request)
    form = PasswordForm(request.POST)
    if link.audience != Audience.ANYONE or not link.password:
        return HttpResponseRedirect(landing_path(link))
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


def _granted(request: HttpRequest, link, outcome, policy):
    response = HttpResponseRedirect(landing_path(link))
    response.status_code = 303
    days = services.reverification_days(link, policy)
    grants.set_cookie(response, request, link, outcome.cookie_value, days=days)
    return response


@link_view
@require_POST
def send_code(request: HttpRequest, link: ShareLink):
    policy = services.current_policy(request)
    form = AddressForm(request.POST)
    if not form.is_valid():
        context = _verify_context(link, policy, form=form)
        return _passkey_page(
            render_page(request, T + "verify_address.html", context, status=400),
            context["passkeys"],
        )
    ratelimits.check_limits(request, ratelimits.SEND, link)
    services.request_code(link, form.cleaned_data["email"], request)
    response = HttpResponseRedirect(
        reverse("wagtail_securelink:enter_code", args=[link.token])
    )
    response.status_code = 303
    return response


@link_view
@require_http_methods(["GET", "POST"])
def enter_code(request: HttpRequest, link: ShareLink):
    policy = services.current_policy(request)
    email = services.pending_email(request, link)
    if not email:
        return HttpResponseRedirect(landing_path(link))
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
        return HttpResponseRedirect(landing_path(link))
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
def sign_out(request: HttpRequest, link: ShareLink):
    services.sign_out(link, request)
    response = render_page(request, T + "signed_out.html", {"link": link})
    grants.delete_cookie(response, request, link)
    return response


def _to_login(link):
    login_url = resolve_url(settings.LOGIN_URL or django_settings.LOGIN_URL)
    target = landing_path(link)
    return HttpResponseRedirect(f"{login_url}?{urlencode({'next': target})}")


@link_view
@require_GET
def sign_in(request: HttpRequest, link: ShareLink):
    """Send a visitor who has an account on this site to the login page, and back."""
    return _to_login(link)


@link_view
@require_POST
def ask(request: HttpRequest, link):
    email = services.pending_email(request, link)
    if not email or link.audience != Audience.SPECIFIC:
        return HttpResponseRedirect(landing_path(link))
    form = AccessRequestForm(request.POST)
    if not form.is_valid():
        return render_page(
            request,
            T + "verify_code.html",
            {"link": link, "email": email, "ask_form": form, "form": CodeForm()},
            status=400,
        )
    ratelimits.check_limits(request, ratelimits.REQUEST, link)
    access_requests.ask(link, email, form.cleaned_data["message"], request)
    return render_page(request, T + "request_sent.html", {"link": link, "email": email})
