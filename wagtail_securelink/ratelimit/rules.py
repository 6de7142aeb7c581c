"""Rate limits per client network and per link (S5, S6), in fixed windows.

The limits here protect against volume from one client network or on one link; they
answer 429 with ``Retry-After`` whatever address was typed, so they reveal nothing
about recipients. Per-code and per-recipient counters (wrong tries, lockout, codes an
hour per address, resend cooldown) are rows of their own instead, updated atomically,
so single use and lockout never depend on this module (S3, S4).

The counters live where ``WAGTAIL_SECURELINK_RATE_LIMIT_STORE`` says: by default
("auto") in a shared cache whose increments are atomic (Redis, Memcached) when the site
has one, else in the package's own database table (``counters``), which needs no
set-up step and is shared by every process that shares the database.

When the store fails, the limiter fails closed: the caller gets ``CacheUnavailable``
and answers 503, never a 500 and never "no limit".
"""

import logging
import re
from dataclasses import dataclass

from django.conf import settings as django_settings
from django.core.cache import caches
from django.db import router, transaction

from wagtail_securelink.conf import settings
from wagtail_securelink.core.clients import client_network
from wagtail_securelink.models import RateCounter
from wagtail_securelink.ratelimit import counters

__all__ = [
    "Limited",
    "CacheUnavailable",
    "check_limits",
    "check_not_limited",
    "spend",
    "probe",
    "parse_rate",
    "resolve_store",
    "AUTO",
    "DATABASE",
    "RATE_SETTINGS",
    "SHARED_ATOMIC_CACHES",
    "SEND",
    "CHECK",
    "LOOKUP",
    "COMMENT",
    "API",
    "API_AUTH_FAILURE",
    "RENDER",
]

logger = logging.getLogger(__name__)


@dataclass
class Limited(Exception):
    retry_after: int
    scope: str
    action: str = ""


class CacheUnavailable(Exception):
    """The rate-limit store (cache or database) could not count: fail closed."""


DATABASE = "database"
AUTO = "auto"
# Cache backends shared by every process whose increments are atomic (INCR): "auto"
# keeps the counters there. Any other cache (LocMem, dummy, Django's database or file
# cache, whose incr() is a get and a set that also resets the expiry) is passed over
# for the database store.
SHARED_ATOMIC_CACHES = frozenset(
    {
        "django.core.cache.backends.redis.RedisCache",
        "django_redis.cache.RedisCache",
        "django.core.cache.backends.memcached.PyMemcacheCache",
        "django.core.cache.backends.memcached.PyLibMCCache",
    }
)
# A cache entry outlives its window by a few seconds, so that a hit at the very end of
# a window never finds the key gone between add() and incr().
EXPIRATION_FUDGE = 5

# Each action maps to (scope, setting name) pairs. "network" keys on the client
# network (IPv4 /24, IPv6 /48 by default), "link" on the link's id.
SEND = "send"
CHECK = "check"
LOOKUP = "lookup"
REQUEST = "request"  # access requests ("Didn't get a code?"), counted like code sends
COMMENT = "comment"  # reviewers' comments on a page preview
API = "api"  # calls to our API v3 endpoints, counted per bearer token
API_AUTH_FAILURE = "api_auth_failure"  # bearer tokens that matched no usable token
# Seconds of page rendering (view-only links), charged by ``spend`` once a render ends
# and checked by ``check_not_limited`` before the next one starts.
RENDER = "render"
_LIMITS = {
    SEND: [("network", "RATE_SEND_PER_NETWORK"), ("link", "RATE_SEND_PER_LINK")],
    CHECK: [("network", "RATE_CHECK_PER_NETWORK"), ("link", "RATE_CHECK_PER_LINK")],
    LOOKUP: [("network", "RATE_LOOKUP_PER_NETWORK")],
    REQUEST: [
        ("network", "RATE_REQUEST_PER_NETWORK"),
        ("link", "RATE_REQUEST_PER_LINK"),
    ],
    COMMENT: [
        ("network", "RATE_COMMENT_PER_NETWORK"),
        ("link", "RATE_COMMENT_PER_LINK"),
    ],
    API: [("token", "RATE_API_PER_TOKEN")],
    API_AUTH_FAILURE: [("network", "RATE_API_AUTH_FAILURES_PER_NETWORK")],
    RENDER: [
        ("network", "RENDER_SECONDS_PER_NETWORK"),
        ("link", "RENDER_SECONDS_PER_LINK"),
    ],
}
# The operational settings holding a rate string (checked by ``checks``).
RATE_SETTINGS = [name for pairs in _LIMITS.values() for _, name in pairs]
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")


def parse_rate(rate: str) -> tuple[int, int]:
    """``"10/h"`` → ``(10, 3600)``; ``"5/15m"`` → ``(5, 900)``. Raises ``ValueError``."""
    match = _RATE.match(rate)
    if not match:
        raise ValueError(f"Invalid rate {rate!r}: use count/period, as in '10/h'.")
    count, multiple, unit = match.groups()
    period = _PERIODS[unit] * int(multiple or 1)
    if period <= 0:
        raise ValueError(f"Invalid rate {rate!r}: the period must be positive.")
    return int(count), period


def resolve_store() -> str:
    """``DATABASE`` or the alias of the cache that holds the counters."""
    store = settings.RATE_LIMIT_STORE
    if store != AUTO:
        return store
    alias = getattr(django_settings, "RATELIMIT_USE_CACHE", "default")
    backend = getattr(django_settings, "CACHES", {}).get(alias, {}).get("BACKEND", "")
    return alias if backend in SHARED_ATOMIC_CACHES else DATABASE


def _key_value(scope: str, request, link) -> str:
    if scope == "network":
        return client_network(request)
    if (
        scope == "token"
    ):  # the APIToken row's id that API v3 authenticated, never its secret
        return f"token:{request.auth.pk}"
    return f"link:{link.pk}"


def _cache_hit(alias: str, key: str, end: int, now: int, amount: int = 1) -> int:
    cache = caches[alias]
    key = f"securelink-rl:{key}"
    if cache.add(key, amount, end - now + EXPIRATION_FUDGE):
        return amount
    # Redis INCR, memcached incr: atomic, and the key keeps its expiry.
    return cache.incr(key, amount)


def _count(limits, request, action, link, hit, now) -> tuple[Limited | None, bool]:
    """Count each limit in turn, stopping at the first one exceeded."""
    started = False
    for scope, (limit, period) in limits:
        value = _key_value(scope, request, link)
        end = counters.window_end(value, period, now)
        key = counters.counter_key(f"{action}.{scope}", value, period, end)
        count = hit(key, end)
        if not count:  # a cache that answered without counting
            raise CacheUnavailable(f"the store did not count ({action})")
        started = started or count == 1
        if count > limit:
            logger.info("Rate limit reached: %s per %s", action, scope)
            return Limited(max(1, end - now), scope, action), started
    return None, started


def _limits(action: str, link) -> list[tuple[str, tuple[int, int]]]:
    return [
        (scope, parse_rate(rate))
        for scope, setting_name in _LIMITS[action]
        if (rate := getattr(settings, setting_name)) and (scope != "link" or link)
    ]


def check_not_limited(request, action: str, link=None) -> None:
    """Raise ``Limited`` if ``action`` is already over a limit in its current window,
    without counting this request; ``CacheUnavailable`` if the store cannot tell.

    For limits that count failures only: the request is refused before it is tried,
    so that its answer cannot differ between a right and a wrong attempt."""
    limits = _limits(action, link)
    if not limits:
        return
    store = resolve_store()
    now = counters.unix_now()
    for scope, (limit, period) in limits:
        value = _key_value(scope, request, link)
        end = counters.window_end(value, period, now)
        key = counters.counter_key(f"{action}.{scope}", value, period, end)
        try:
            if store == DATABASE:
                count = counters.current(key)
            else:
                count = caches[store].get(f"securelink-rl:{key}", 0)
        except Exception as exc:  # fail closed, as check_limits does
            logger.error(
                "Rate-limit store %r unavailable (%s): failing closed",
                store,
                type(exc).__name__,
            )
            raise CacheUnavailable from exc
        if count >= limit:
            logger.info("Rate limit reached: %s per %s", action, scope)
            raise Limited(max(1, end - now), scope, action)


def check_limits(request, action: str, link=None) -> None:
    """Count one attempt of ``action``; raise ``Limited`` or ``CacheUnavailable``."""
    limits = _limits(action, link)
    if not limits:
        return
    store = resolve_store()
    now = counters.unix_now()
    try:
        if store == DATABASE:
            using = router.db_for_write(RateCounter)
            # One transaction for every scope: one commit, and a savepoint when the
            # request already runs in a transaction, so an error leaves it usable.
            with transaction.atomic(using=using):
                limited, started = _count(
                    limits,
                    request,
                    action,
                    link,
                    lambda key, end: counters.hit(key, end, using=using),
                    now,
                )
        else:
            limited, started = _count(
                limits,
                request,
                action,
                link,
                lambda key, end: _cache_hit(store, key, end, now),
                now,
            )
    except Exception as exc:  # any cache or database error: fail closed
        logger.error(
            "Rate-limit store %r unavailable (%s): failing closed",
            store,
            type(exc).__name__,
        )
        raise CacheUnavailable from exc
    if store == DATABASE and started:
        _sweep(using)
    if limited:
        raise limited


def spend(request, action: str, link, amount: int) -> None:
    """Count ``amount`` (the seconds a render took) on every limit of ``action``.

    Never raises: the cost is already paid, and the next ``check_not_limited`` refuses
    once a limit is reached (and fails closed if the store cannot tell)."""
    limits = _limits(action, link)
    if not limits or amount <= 0:
        return
    store = resolve_store()
    now = counters.unix_now()
    try:
        for scope, (_limit, period) in limits:
            value = _key_value(scope, request, link)
            end = counters.window_end(value, period, now)
            key = counters.counter_key(f"{action}.{scope}", value, period, end)
            if store == DATABASE:
                counters.hit(key, end, amount=amount)
            else:
                _cache_hit(store, key, end, now, amount)
    except Exception as exc:
        logger.error(
            "Rate-limit store %r unavailable (%s): %s not counted",
            store,
            type(exc).__name__,
            action,
        )


def probe() -> str:
    """Count one hit on a key of its own in the store the limits use, as a visitor's
    request would; return the store's name. Raise ``CacheUnavailable`` when it cannot
    count: every limited view then answers 503 (``securelink_health``)."""
    store = resolve_store()
    now = counters.unix_now()
    try:
        if store == DATABASE:
            using = router.db_for_write(RateCounter)
            with transaction.atomic(using=using):
                counters.hit("health-probe", now + 60, using=using)
        else:
            _cache_hit(store, "health-probe", now + 60, now)
    except Exception as exc:
        raise CacheUnavailable(type(exc).__name__) from exc
    return store


def _sweep(using: str) -> None:
    """Delete a bounded batch of ended windows; a failure here costs nothing but room."""
    try:
        with transaction.atomic(using=using):
            counters.purge_expired(limit=counters.PURGE_BATCH, using=using)
    except Exception as exc:
        logger.warning("Could not delete ended rate-limit windows: %r", exc)
