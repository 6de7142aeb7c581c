"""Unit tests for ``wagtail_securelink.ratelimits``."""

import datetime

import pytest
import time_machine
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone

from tests.factories import make_document, make_link
from tests.helpers import request_code
from wagtail_securelink import ratelimits

pytestmark = pytest.mark.django_db


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


def _cache(cls):
    return {
        "default": {"BACKEND": f"{__name__}.{cls.__name__}", "LOCATION": cls.__name__}
    }


def _request(ip="203.0.113.10"):
    return RequestFactory().post("/", REMOTE_ADDR=ip)


class FakeLink:
    def __init__(self, pk):
        self.pk = pk


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


@override_settings(WAGTAIL_SECURELINK_RATE_LOOKUP_PER_NETWORK="2/m")
def test_window_ends():
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(2):
            ratelimits.check_limits(_request(), ratelimits.LOOKUP)
        with pytest.raises(ratelimits.Limited):
            ratelimits.check_limits(_request(), ratelimits.LOOKUP)
    with time_machine.travel(start + datetime.timedelta(minutes=2), tick=False):
        ratelimits.check_limits(_request(), ratelimits.LOOKUP)


@override_settings(WAGTAIL_SECURELINK_RATE_LOOKUP_PER_NETWORK="")
def test_empty_rate_means_no_limit():
    for _ in range(100):
        ratelimits.check_limits(_request(), ratelimits.LOOKUP)


@pytest.mark.parametrize("cls", [CountingFailsCache, SilentCache])
def test_broken_cache_fails_closed(cls):
    with override_settings(CACHES=_cache(cls)):
        with pytest.raises(ratelimits.CacheUnavailable):
            ratelimits.check_limits(_request(), ratelimits.SEND, FakeLink(1))


@pytest.mark.parametrize("cls", [CountingFailsCache, SilentCache])
def test_broken_cache_gives_the_503_page_not_a_500(cls):
    link = make_link(make_document(), ["alice@example.com"])
    with override_settings(CACHES=_cache(cls)):
        response = request_code(
            Client(raise_request_exception=False), link, "alice@example.com"
        )
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert b"Temporarily unavailable" in response.content
    assert response["Cache-Control"] == "private, no-store"
