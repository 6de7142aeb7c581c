"""Unit tests for ``wagtail_securelink.ratelimit.rules``: rates, windows, stores, failing closed."""

import datetime
import os

import pytest
import time_machine
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone

from tests.factories import make_document, make_link
from tests.helpers import request_code
from wagtail_securelink.models import RateCounter
from wagtail_securelink.ratelimit import counters
from wagtail_securelink.ratelimit import rules as ratelimits

pytestmark = pytest.mark.django_db

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
REDIS = "django.core.cache.backends.redis.RedisCache"


class CountingFailsCache(LocMemCache):
    """The cache server is down: ``add`` and ``incr`` raise."""

    def add(self, *args, **kwargs):
        raise ConnectionError("cache server unreachable")

    def incr(self, *args, **kwargs):
        raise ConnectionError("cache server unreachable")


class SilentCache(LocMemCache):
    """A cache that answers but does not count (as Redis returns None when confused)."""

    def add(self, *args, **kwargs):
        return False

    def incr(self, *args, **kwargs):
        return None


def _explicit_cache(cls):
    """Settings that keep the limits in a cache of class ``cls``, chosen explicitly."""
    return {
        "CACHES": {
            "default": {
                "BACKEND": f"{__name__}.{cls.__name__}",
                "LOCATION": cls.__name__,
            }
        },
        "WAGTAIL_SECURELINK_RATE_LIMIT_STORE": "default",
    }


def _request(ip="203.0.113.10"):
    return RequestFactory().post("/", REMOTE_ADDR=ip)


def _window_start_plus(value, period, seconds):
    """A moment ``seconds`` into the current window of ``value`` (so that a test never
    straddles a window's end by chance)."""
    end = counters.window_end(value, period, counters.unix_now())
    moment = end - period + seconds
    return datetime.datetime.fromtimestamp(moment, tz=datetime.UTC)


class FakeLink:
    def __init__(self, pk):
        self.pk = pk


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [("10/h", (10, 3600)), ("5/m", (5, 60)), ("5/15m", (5, 900)), ("1/d", (1, 86400))],
)
def test_parse_rate(rate, parsed):
    assert ratelimits.parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["10", "ten/h", "10/h/2", "10/w", "10/0h", "/h"])
def test_parse_rate_refuses_nonsense(rate):
    with pytest.raises(ValueError):
        ratelimits.parse_rate(rate)


@pytest.mark.parametrize(
    ("caches_setting", "store", "expected"),
    [
        ({"default": {"BACKEND": LOCMEM}}, "auto", "database"),
        ({"default": {"BACKEND": REDIS, "LOCATION": "redis://x"}}, "auto", "default"),
        ({"default": {"BACKEND": "django_redis.cache.RedisCache"}}, "auto", "default"),
        (
            {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache"}},
            "auto",
            "database",
        ),
        (
            {"default": {"BACKEND": REDIS, "LOCATION": "redis://x"}},
            "database",
            "database",
        ),
        ({"default": {"BACKEND": LOCMEM}, "rl": {"BACKEND": LOCMEM}}, "rl", "rl"),
    ],
)
def test_resolve_store(caches_setting, store, expected):
    with override_settings(
        CACHES=caches_setting, WAGTAIL_SECURELINK_RATE_LIMIT_STORE=store
    ):
        assert ratelimits.resolve_store() == expected


def test_auto_honours_ratelimit_use_cache():
    caches_setting = {
        "default": {"BACKEND": LOCMEM},
        "limits": {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache"},
    }
    with override_settings(CACHES=caches_setting, RATELIMIT_USE_CACHE="limits"):
        assert ratelimits.resolve_store() == "limits"


@override_settings(WAGTAIL_SECURELINK_RATE_SEND_PER_NETWORK="3/m")
def test_limited_after_the_rate():
    for _ in range(3):
        ratelimits.check_limits(_request(), ratelimits.SEND, FakeLink(1))
    with pytest.raises(ratelimits.Limited) as info:
        ratelimits.check_limits(_request("203.0.113.99"), ratelimits.SEND, FakeLink(1))
    assert info.value.scope == "network"
    assert 1 <= info.value.retry_after <= 60
    # Another network is counted apart.
    ratelimits.check_limits(_request("198.51.100.1"), ratelimits.SEND, FakeLink(1))


@override_settings(WAGTAIL_SECURELINK_RATE_CHECK_PER_LINK="2/h")
def test_per_link_scope_counts_each_link_apart():
    for i in range(2):
        ratelimits.check_limits(_request(f"10.{i}.0.1"), ratelimits.CHECK, FakeLink(1))
    with pytest.raises(ratelimits.Limited) as info:
        ratelimits.check_limits(_request("10.9.0.1"), ratelimits.CHECK, FakeLink(1))
    assert info.value.scope == "link"
    ratelimits.check_limits(_request("10.9.0.1"), ratelimits.CHECK, FakeLink(2))


@override_settings(WAGTAIL_SECURELINK_RATE_CHECK_PER_NETWORK="3/h")
def test_an_hourly_window_lasts_the_hour_and_then_ends():
    """An hourly window is not forgotten after a few idle minutes (a cache whose
    ``incr()`` resets the expiry would forget it after its ``TIMEOUT``)."""
    start = _window_start_plus("203.0.113.0/24", 3600, 600)
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            ratelimits.check_limits(_request(), ratelimits.CHECK)
        with pytest.raises(ratelimits.Limited) as first:
            ratelimits.check_limits(_request(), ratelimits.CHECK)
    with time_machine.travel(start + datetime.timedelta(minutes=6), tick=False):
        with pytest.raises(ratelimits.Limited) as later:
            ratelimits.check_limits(_request(), ratelimits.CHECK)
    assert first.value.retry_after == 3000
    assert later.value.retry_after == 3000 - 360
    end = start + datetime.timedelta(seconds=first.value.retry_after)
    with time_machine.travel(end - datetime.timedelta(seconds=1), tick=False):
        with pytest.raises(ratelimits.Limited):
            ratelimits.check_limits(_request(), ratelimits.CHECK)
    with time_machine.travel(end, tick=False):
        ratelimits.check_limits(_request(), ratelimits.CHECK)


@override_settings(WAGTAIL_SECURELINK_RATE_LOOKUP_PER_NETWORK="1/h")
def test_retry_after_is_the_time_to_the_window_end():
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        ratelimits.check_limits(_request(), ratelimits.LOOKUP)
        with pytest.raises(ratelimits.Limited) as info:
            ratelimits.check_limits(_request(), ratelimits.LOOKUP)
    now = int(start.timestamp())
    end = counters.window_end("203.0.113.0/24", 3600, now)
    assert info.value.retry_after == end - now
    assert 1 <= info.value.retry_after <= 3600


@override_settings(
    WAGTAIL_SECURELINK_RATE_LIMIT_STORE="database",
    WAGTAIL_SECURELINK_RATE_LOOKUP_PER_NETWORK="",
)
def test_empty_rate_means_no_limit():
    for _ in range(100):
        ratelimits.check_limits(_request(), ratelimits.LOOKUP)
    assert not RateCounter.objects.exists()


@override_settings(
    CACHES={"default": {"BACKEND": LOCMEM}},
    WAGTAIL_SECURELINK_RATE_LOOKUP_PER_NETWORK="5/m",
)
def test_by_default_the_counters_are_rows_with_hashed_keys():
    ratelimits.check_limits(_request("203.0.113.77"), ratelimits.LOOKUP)
    row = RateCounter.objects.get()
    assert row.count == 1
    assert "203.0.113" not in row.key
    assert len(row.key) == 64


@override_settings(
    WAGTAIL_SECURELINK_RATE_LIMIT_STORE="database",
    WAGTAIL_SECURELINK_RATE_LOOKUP_PER_NETWORK="3/h",
)
def test_a_flood_of_new_keys_does_not_reset_a_live_counter():
    """No eviction: 1,000 other networks later, the first one is still limited.

    The clock stands still, so that no window ends while the flood runs."""
    with time_machine.travel(
        _window_start_plus("203.0.113.0/24", 3600, 60), tick=False
    ):
        for _ in range(3):
            ratelimits.check_limits(_request(), ratelimits.LOOKUP)
        for i in range(1000):
            ratelimits.check_limits(
                _request(f"10.{i // 256}.{i % 256}.1"), ratelimits.LOOKUP
            )
        with pytest.raises(ratelimits.Limited):
            ratelimits.check_limits(_request(), ratelimits.LOOKUP)
    assert RateCounter.objects.count() == 1001


@override_settings(
    WAGTAIL_SECURELINK_RATE_LIMIT_STORE="database",
    WAGTAIL_SECURELINK_RATE_LOOKUP_PER_NETWORK="5/m",
)
def test_a_new_window_sweeps_a_bounded_batch_of_ended_ones():
    # Both hits in one window whatever the machine's speed: the clock stands still.
    with time_machine.travel(_window_start_plus("203.0.113.0/24", 60, 5), tick=False):
        _a_new_window_sweeps_a_bounded_batch_of_ended_ones()


def _a_new_window_sweeps_a_bounded_batch_of_ended_ones():
    now = counters.unix_now()
    RateCounter.objects.bulk_create(
        RateCounter(key=f"{i:064x}", count=1, expires_at=now - 1) for i in range(250)
    )
    ratelimits.check_limits(_request(), ratelimits.LOOKUP)  # a new window
    assert RateCounter.objects.count() == 250 - counters.PURGE_BATCH + 1
    ratelimits.check_limits(_request(), ratelimits.LOOKUP)  # same window: no sweep
    assert RateCounter.objects.count() == 250 - counters.PURGE_BATCH + 1


@pytest.mark.parametrize("cls", [CountingFailsCache, SilentCache])
def test_broken_cache_fails_closed(cls):
    with override_settings(**_explicit_cache(cls)):
        with pytest.raises(ratelimits.CacheUnavailable):
            ratelimits.check_limits(_request(), ratelimits.SEND, FakeLink(1))


@pytest.mark.parametrize("cls", [CountingFailsCache, SilentCache])
def test_broken_cache_gives_the_503_page_not_a_500(cls):
    link = make_link(make_document(), ["alice@example.com"])
    with override_settings(**_explicit_cache(cls)):
        response = request_code(
            Client(raise_request_exception=False), link, "alice@example.com"
        )
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert b"Temporarily unavailable" in response.content
    assert response["Cache-Control"] == "private, no-store"


@override_settings(
    CACHES={"default": {"BACKEND": LOCMEM}, "limits": {"BACKEND": LOCMEM}},
    WAGTAIL_SECURELINK_RATE_LIMIT_STORE="limits",
    WAGTAIL_SECURELINK_RATE_LOOKUP_PER_NETWORK="2/h",
)
def test_an_explicit_cache_holds_the_counters_with_the_same_windows():
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(2):
            ratelimits.check_limits(_request(), ratelimits.LOOKUP)
        with pytest.raises(ratelimits.Limited) as info:
            ratelimits.check_limits(_request(), ratelimits.LOOKUP)
    assert not RateCounter.objects.exists()
    end = start + datetime.timedelta(seconds=info.value.retry_after)
    with time_machine.travel(end, tick=False):
        ratelimits.check_limits(_request(), ratelimits.LOOKUP)


@override_settings(
    CACHES={"default": {"BACKEND": REDIS, "LOCATION": "redis://127.0.0.1:9/0"}},
    WAGTAIL_SECURELINK_RATE_LIMIT_STORE="auto",
)
def test_auto_takes_a_redis_cache_and_fails_closed_when_it_is_down():
    """Nothing listens on port 9: the Redis path is taken, and fails closed."""
    with pytest.raises(ratelimits.CacheUnavailable):
        ratelimits.check_limits(_request(), ratelimits.LOOKUP)
    assert not RateCounter.objects.exists()


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="the scale-out run only")
@override_settings(WAGTAIL_SECURELINK_RATE_LOOKUP_PER_NETWORK="2/h")
def test_with_redis_url_the_limits_live_in_redis():
    assert ratelimits.resolve_store() == "default"
    for _ in range(2):
        ratelimits.check_limits(_request(), ratelimits.LOOKUP)
    with pytest.raises(ratelimits.Limited):
        ratelimits.check_limits(_request(), ratelimits.LOOKUP)
    assert not RateCounter.objects.exists()
    # The key's expiry is the window's end (plus a few seconds), not a cache default.
    now = counters.unix_now()
    end = counters.window_end("203.0.113.0/24", 3600, now)
    key = counters.counter_key("lookup.network", "203.0.113.0/24", 3600, end)
    cache = caches["default"]
    ttl = cache._cache.get_client().ttl(
        cache.make_and_validate_key(f"securelink-rl:{key}")
    )
    # Redis counts down in real time: allow the seconds this test itself took.
    assert end - now - 5 <= ttl <= end - now + ratelimits.EXPIRATION_FUDGE


@pytest.mark.parametrize("store", ["database", "limits"])
def test_check_not_limited_reads_the_count_without_counting(store):
    """The failed-token limit of the API: a peek before the attempt, a count after a
    failure only; in the database and in a cache alike."""
    action = ratelimits.API_AUTH_FAILURE
    with override_settings(
        CACHES={"default": {"BACKEND": LOCMEM}, "limits": {"BACKEND": LOCMEM}},
        WAGTAIL_SECURELINK_RATE_LIMIT_STORE=store,
        WAGTAIL_SECURELINK_RATE_API_AUTH_FAILURES_PER_NETWORK="2/m",
    ):
        caches["limits"].clear()
        start = _window_start_plus("203.0.113.0/24", 60, 1)
        with time_machine.travel(start, tick=False):
            for _ in range(5):  # peeking alone never uses up the allowance
                ratelimits.check_not_limited(_request(), action)
            for _ in range(2):
                ratelimits.check_limits(_request(), action)
            with pytest.raises(ratelimits.Limited) as info:
                ratelimits.check_not_limited(_request("203.0.113.99"), action)
            assert info.value.scope == "network"
            assert info.value.retry_after == 59
            ratelimits.check_not_limited(_request("198.51.100.1"), action)
        later = start + datetime.timedelta(seconds=info.value.retry_after)
        with time_machine.travel(later, tick=False):
            ratelimits.check_not_limited(_request(), action)


@override_settings(
    CACHES={"default": {"BACKEND": REDIS, "LOCATION": "redis://127.0.0.1:9/0"}},
    WAGTAIL_SECURELINK_RATE_LIMIT_STORE="auto",
)
def test_check_not_limited_fails_closed():
    with pytest.raises(ratelimits.CacheUnavailable):
        ratelimits.check_not_limited(_request(), ratelimits.API_AUTH_FAILURE)
