"""Bearer tokens for our endpoints: Wagtail's ``BearerTokenAuth``, counted per token
and, when they fail, per client network.

Every call that presents a valid token is counted against
``WAGTAIL_SECURELINK_RATE_API_PER_TOKEN`` through ``ratelimits.check_limits`` (keyed on
the token's row id, never on its secret), and the request is tagged so that each access
event it records names the token (``{"api_token": id, "api_token_name": name}``).

A bearer token that matches no usable token (unknown, revoked, or its user inactive) is
counted against ``WAGTAIL_SECURELINK_RATE_API_AUTH_FAILURES_PER_NETWORK`` for the
client's network. A network past that limit is refused (429) before its token is even
looked up, valid or not: a different answer for a token that happens to be right would
tell a guesser when they have found one.
"""

from wagtail.api.v3.auth import BearerTokenAuth

from wagtail_securelink.ratelimit.rules import (
    API,
    API_AUTH_FAILURE,
    check_limits,
    check_not_limited,
)

__all__ = ["SecureLinkTokenAuth", "token_detail"]


def token_detail(api_token) -> dict:
    """What an event says about the token: its id and name. Never its secret or prefix."""
    return {"api_token": api_token.pk, "api_token_name": api_token.name[:100]}


class SecureLinkTokenAuth(BearerTokenAuth):
    def authenticate(self, request, token: str):
        # Each raises Limited (429) or CacheUnavailable (503): see errors.py.
        check_not_limited(request, API_AUTH_FAILURE)
        api_token = super().authenticate(request, token)
        if api_token is None:
            check_limits(request, API_AUTH_FAILURE)  # count the failure; then 401
            return None
        request.auth = (
            api_token  # Ninja sets it after we return; the limiter keys on it
        )
        check_limits(request, API)
        request.securelink_event_detail = token_detail(api_token)
        return api_token
