"""Rate limits on a shared cache, through django-ratelimit (S5, S6).

The limits here protect against volume from one client network or on one link; they
answer 429 with ``Retry-After`` whatever address was typed, so they reveal nothing
about recipients. Per-code and per-recipient counters (wrong tries, lockout, codes an
hour per address, resend cooldown) are database rows instead, updated atomically,
so single use and lockout never depend on the cache (S3, S4).

When the cache is unreachable the limiter fails closed: the caller gets
``CacheUnavailable`` and answers 503, never a 500 and never "no limit".
"""

import logging
from dataclasses import dataclass

from django_ratelimit.core import get_usage

from .clients import client_network
from .conf import settings

__all__ = ["Limited", "CacheUnavailable", "check_limits", "SEND", "CHECK", "LOOKUP"]

logger = logging.getLogger(__name__)


@dataclass
class Limited(Exception):
    retry_after: int
    scope: str


class CacheUnavailable(Exception):
    pass


# Each action maps to (scope, setting name) pairs. "network" keys on the client
# network (IPv4 /24, IPv6 /48 by default), "link" on the link's id.
SEND = "send"
CHECK = "check"
LOOKUP = "lookup"
API = "api"  # calls to our API v3 endpoints, counted per bearer token
_LIMITS = {
    SEND: [("network", "RATE_SEND_PER_NETWORK"), ("link", "RATE_SEND_PER_LINK")],
    CHECK: [("network", "RATE_CHECK_PER_NETWORK"), ("link", "RATE_CHECK_PER_LINK")],
    LOOKUP: [("network", "RATE_LOOKUP_PER_NETWORK")],
    API: [("token", "RATE_API_PER_TOKEN")],
}


def _key_value(scope: str, request, link) -> str:
    if scope == "network":
        return client_network(request)
    if (
        scope == "token"
    ):  # the APIToken row's id that API v3 authenticated, never its secret
        return f"token:{request.auth.pk}"
    return f"link:{link.pk}"


def check_limits(request, action: str, link=None) -> None:
    """Count one attempt of ``action``; raise ``Limited`` or ``CacheUnavailable``."""
    for scope, setting_name in _LIMITS[action]:
        if scope == "link" and link is None:
            continue
        rate = getattr(settings, setting_name)
        if not rate:
            continue
        value = _key_value(scope, request, link)
        try:
            usage = get_usage(
                request,
                group=f"wagtail_securelink.{action}.{scope}",
                key=lambda group, req, value=value: value,
                rate=rate,
                increment=True,
            )
        except Exception as exc:  # any cache backend error: fail closed
            logger.error(
                "Rate-limit cache unavailable (%s): failing closed", type(exc).__name__
            )
            raise CacheUnavailable from exc
        if usage is None:
            continue
        if usage["limit"] == 0 and usage["time_left"] == -1:
            logger.error("Rate-limit cache did not count (%s): failing closed", action)
            raise CacheUnavailable
        if usage["should_limit"]:
            logger.info("Rate limit reached: %s per %s", action, scope)
            raise Limited(retry_after=max(1, usage["time_left"]), scope=scope)
