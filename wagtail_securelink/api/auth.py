"""Bearer tokens for our endpoints: Wagtail's ``BearerTokenAuth``, counted per token.

Every call that presents a valid token is counted against
``WAGTAIL_SECURELINK_RATE_API_PER_TOKEN`` through ``ratelimits.check_limits`` (keyed on
the token's row id, never on its secret), and the request is tagged so that each access
event it records names the token (``{"api_token": id, "api_token_name": name}``).
"""

from wagtail.api.v3.auth import BearerTokenAuth

from ..ratelimits import API, check_limits

__all__ = ["SecureLinkTokenAuth", "token_detail"]


def token_detail(api_token) -> dict:
    """What an event says about the token: its id and name. Never its secret or prefix."""
    return {"api_token": api_token.pk, "api_token_name": api_token.name[:100]}


class SecureLinkTokenAuth(BearerTokenAuth):
    def authenticate(self, request, token: str):
        api_token = super().authenticate(request, token)
        if api_token is None:
            return None
        request.auth = (
            api_token  # Ninja sets it after we return; the limiter keys on it
        )
        # Raises Limited (429) or CacheUnavailable (503): see errors.py.
        check_limits(request, API)
        request.securelink_event_detail = token_detail(api_token)
        return api_token
