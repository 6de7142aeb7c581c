"""Our refusals in Wagtail API v3's own error shape (RFC 7807 ``problem+json``).

A service-layer ``ValidationError`` becomes a 422 whose ``detail`` repeats every message
(so a client that shows only ``detail`` still names the refused addresses or the
policy's limit) and whose ``errors`` give each message with the field it concerns, as
Wagtail's own handler does for its forms. Rate limits (per token, and on failed tokens
per client network) answer 429 with ``Retry-After``;
a rate-limit store that cannot count answers 503 (fail closed, never "no limit").
"""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from wagtail.api.v3.errors import problem_response

from wagtail_securelink.ratelimit.rules import CacheUnavailable, Limited

__all__ = ["refusal", "register_exception_handlers"]


def refusal(error: ValidationError, *, status: int = 422) -> HttpResponse:
    """The problem response for a ``ValidationError`` raised by the service layer."""
    if hasattr(error, "error_dict"):
        pairs = [
            (field, message)
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    else:
        pairs = [(None, message) for message in error.messages]
    errors = [
        {"type": "refused", "loc": ["body", field] if field else [], "msg": message}
        for field, message in pairs
    ]
    return problem_response(
        status=status,
        detail=" ".join(message for _field, message in pairs),
        errors=errors,
    )


def _limited(request: HttpRequest, exc: Limited) -> HttpResponse:
    if exc.scope == "network":  # failed bearer tokens from the client's network
        # The visitor pages' own sentences, already in every catalogue.
        detail = "{} {}".format(
            _("Too many attempts") + ".",
            ngettext(
                "Please wait %(seconds)s second and try again.",
                "Please wait %(seconds)s seconds and try again.",
                exc.retry_after,
            )
            % {"seconds": exc.retry_after},
        )
    else:
        detail = _("Too many requests with this token. Try again in %(seconds)s s.") % {
            "seconds": exc.retry_after
        }
    response = problem_response(status=429, detail=detail)
    response["Retry-After"] = str(exc.retry_after)
    return response


def _unavailable(request: HttpRequest, exc: CacheUnavailable) -> HttpResponse:
    return problem_response(
        status=503,
        detail=_("The service cannot count requests right now. Try again later."),
    )


def register_exception_handlers(api) -> None:
    """Add handlers for our own exception types only; Wagtail's stay as they are."""
    api.add_exception_handler(Limited, _limited)
    api.add_exception_handler(CacheUnavailable, _unavailable)
