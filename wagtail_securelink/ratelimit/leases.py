"""Leases: at most a given number of holders of a name at a time, across processes.

A lease bounds work in progress rather than work per window: one render of a page at
a time, one render per link and per client network at a time. It lives in the same
store as the rate-limit counters (``rules.resolve_store``), so that every process of
the site sees it: a ``cache.add`` (Redis ``SET NX``, memcached ``add``) or a row of
the counters table inserted by the one atomic upsert of ``counters.hit``, whose count
of 1 says this caller created it.

Each lease expires by itself after ``seconds``: a process killed while it holds one
(SIGKILL, a power cut) blocks that name for no longer than that. The holder must
finish well before then; ``release`` deletes the lease when it does.
"""

import logging
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager

from django.core.cache import caches
from django.db import router

from wagtail_securelink.models import RateCounter
from wagtail_securelink.ratelimit import counters
from wagtail_securelink.ratelimit.rules import DATABASE, CacheUnavailable, resolve_store

__all__ = ["acquire", "release", "holding"]

logger = logging.getLogger(__name__)


def _key(name: str, slot: int) -> str:
    # Keyed like the counters: a link id or client network is never stored in clear.
    return counters.counter_key("lease", name, 0, slot)


def _take(store: str, key: str, seconds: int) -> bool:
    now = counters.unix_now()
    if store != DATABASE:
        return caches[store].add(f"securelink-lease:{key}", 1, seconds)
    using = router.db_for_write(RateCounter)
    # A lease left by a holder that died is past its end: delete it, then take the
    # name with the atomic upsert. Two callers racing here both run both statements,
    # and only the one whose upsert inserted the row sees a count of 1.
    RateCounter.objects.using(using).filter(pk=key, expires_at__lte=now).delete()
    return counters.hit(key, now + seconds, using=using) == 1


def acquire(name: str, holders: int, seconds: int) -> str | None:
    """Take one of ``holders`` places on ``name`` for at most ``seconds``; the key to
    ``release``, or ``None`` when every place is taken. Raises ``CacheUnavailable``
    when the store cannot tell (the caller refuses the work: fail closed)."""
    store = resolve_store()
    try:
        for slot in range(max(1, holders)):
            key = _key(name, slot)
            if _take(store, key, seconds):
                return key
    except Exception as exc:
        logger.error(
            "Lease store %r unavailable (%s): failing closed", store, type(exc).__name__
        )
        raise CacheUnavailable from exc
    return None


def release(key: str) -> None:
    """Give the lease back; a failure here only keeps the place until it expires."""
    store = resolve_store()
    try:
        if store == DATABASE:
            using = router.db_for_write(RateCounter)
            RateCounter.objects.using(using).filter(pk=key).delete()
        else:
            caches[store].delete(f"securelink-lease:{key}")
    except Exception as exc:
        logger.warning("Could not release a lease: %r", exc)


@contextmanager
def holding(names: Iterable[tuple[str, int]], seconds: int) -> Iterator[bool]:
    """Hold a place on each ``(name, holders)`` in turn, all released on exit: yields
    ``False`` (holding none) as soon as one of them is full."""
    with ExitStack() as stack:
        for name, holders in names:
            key = acquire(name, holders, seconds)
            if key is None:
                stack.close()
                yield False
                return
            stack.callback(release, key)
        yield True
