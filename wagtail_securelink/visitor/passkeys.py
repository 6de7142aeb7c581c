"""Passkey endpoints: JSON over CSRF-protected POSTs, called by ``passkeys.js``.

Thin: every decision is in ``verification.passkeys``. A refusal to sign in is one
body and one status whatever the reason (S7); the page's email form stays the way in.
"""

import json

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wagtail_securelink import services
from wagtail_securelink.core.tokens import landing_path
from wagtail_securelink.models import ShareLink
from wagtail_securelink.ratelimit import rules as ratelimits
from wagtail_securelink.verification import grants
from wagtail_securelink.visitor.decorators import link_view

__all__ = ["register_begin", "register_finish", "sign_in_begin", "sign_in_finish"]


def _body(request: HttpRequest) -> dict:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _not_now():
    return JsonResponse(
        {"ok": False, "message": _("Passkeys cannot be used here now.")}, status=400
    )


@link_view
@require_POST
def register_begin(request: HttpRequest, link: ShareLink):
    ratelimits.check_limits(request, ratelimits.LOOKUP, link)
    options = services.begin_registration(link, request)
    return JsonResponse(options) if options is not None else _not_now()


@link_view
@require_POST
def register_finish(request: HttpRequest, link: ShareLink):
    ratelimits.check_limits(request, ratelimits.CHECK, link)
    if services.finish_registration(link, request, _body(request)) is None:
        return JsonResponse(
            {"ok": False, "message": _("The passkey could not be saved.")}, status=400
        )
    return JsonResponse(
        {
            "ok": True,
            "message": _(
                "Passkey saved. Next time, choose “Use a passkey” instead of "
                "waiting for a code."
            ),
        }
    )


@link_view
@require_POST
def sign_in_begin(request: HttpRequest, link: ShareLink):
    # A challenge costs a session row: counted like a token lookup. Only the answer
    # is counted like a typed code.
    ratelimits.check_limits(request, ratelimits.LOOKUP, link)
    options = services.begin_authentication(link, request)
    return JsonResponse(options) if options is not None else _not_now()


@link_view
@require_POST
def sign_in_finish(request: HttpRequest, link: ShareLink):
    ratelimits.check_limits(request, ratelimits.CHECK, link)
    outcome = services.finish_authentication(link, request, _body(request))
    if not outcome.ok:
        # One answer for an unknown passkey and a refused address alike (S7).
        return JsonResponse(
            {
                "ok": False,
                "message": _(
                    "This passkey cannot open this link now. Ask for a code by "
                    "email instead."
                ),
            },
            status=400,
        )
    response = JsonResponse({"ok": True, "redirect": landing_path(link)})
    days = services.reverification_days(link, services.current_policy(request))
    grants.set_cookie(response, request, link, outcome.cookie_value, days=days)
    return response
