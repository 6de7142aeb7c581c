"""ratelimit/leases.py: a name has at most its holders, across the store, for a while."""

import pytest
import time_machine
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache

from wagtail_securelink.ratelimit import leases


@pytest.mark.django_db
@pytest.mark.parametrize("store", ["database", "default"])
def test_a_lease_has_its_holders_and_expires_by_itself(settings, store):
    settings.WAGTAIL_SECURELINK_RATE_LIMIT_STORE = store
    with time_machine.travel("2026-12-07 10:00", tick=False):
        first = leases.acquire("render.page:1", 2, 30)
        second = leases.acquire("render.page:1", 2, 30)
        assert first and second and first != second
        assert leases.acquire("render.page:1", 2, 30) is None
        assert leases.acquire("render.page:2", 1, 30)  # another name
        leases.release(first)
        assert leases.acquire("render.page:1", 2, 30) == first
    # A holder that died leaves its places for no longer than it asked.
    if store == "default" and not isinstance(caches["default"], LocMemCache):
        # Redis expires keys by its own clock, which time-machine does not move: the
        # lease's key carries the 30 s it asked for.
        client = caches["default"]._cache.get_client()
        key = caches["default"].make_and_validate_key(f"securelink-lease:{second}")
        assert 0 < client.ttl(key) <= 30
        return
    with time_machine.travel("2026-12-07 10:00:31", tick=False):
        assert leases.acquire("render.page:1", 1, 30)
