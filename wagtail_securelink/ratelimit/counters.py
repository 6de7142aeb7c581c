"""Fixed-window counters for the rate limits (S5, S6): the window rule and the database store.

A window is ``period`` seconds long and aligned as django-ratelimit aligns its own: on
multiples of the period since the epoch, shifted by a jitter taken from the counted
value, so that not every counter starts afresh at the same second. A counter is keyed
by a keyed hash of (scope, value, period, window end): a new window is a new key, and
nothing needs resetting.

The database store needs no set-up step beyond ``migrate``. Each hit is one atomic
statement — ``INSERT … ON CONFLICT DO UPDATE SET count = count + 1 RETURNING count`` on
SQLite and PostgreSQL, an ``UPDATE … SET count = count + 1`` with an insert fallback
elsewhere — so processes sharing the database share the limits, and no count is ever
read, changed in Python and written back. Rows are deleted once their window has ended
(a bounded batch whenever a window starts, and all of them by ``securelink_purge``); a live
row is never evicted to make room, however many keys a flood creates.
"""

import time
import zlib

from django.db import IntegrityError, connections, router, transaction
from django.db.models import F
from django.utils.crypto import salted_hmac

from wagtail_securelink.models import RateCounter

__all__ = ["window_end", "counter_key", "hit", "current", "purge_expired", "unix_now"]

# Expired rows deleted per new window: enough to outpace any flood (one new row
# deletes up to this many dead ones), small enough to keep a hit cheap.
PURGE_BATCH = 100


def unix_now() -> int:
    return int(time.time())


def window_end(value: str, period: int, ts: int) -> int:
    """The Unix time at which the window holding ``ts`` ends, for this value."""
    jitter = zlib.crc32(value.encode()) % period if period > 1 else 0
    end = ts - ts % period + jitter
    return end + period if end <= ts else end


def counter_key(scope: str, value: str, period: int, end: int) -> str:
    # Keyed with SECRET_KEY: the table holds no client network or link id in clear,
    # and a key cannot be computed from outside to probe it.
    message = f"{scope}\x00{value}\x00{period}\x00{end}"
    return salted_hmac(
        "wagtail_securelink.counters", message, algorithm="sha256"
    ).hexdigest()


def _upsert_sql(connection) -> str | None:
    if connection.vendor not in {"sqlite", "postgresql"}:
        return None
    if not connection.features.can_return_columns_from_insert:  # SQLite < 3.35
        return None
    q = connection.ops.quote_name
    table = q(RateCounter._meta.db_table)
    # Only quoted identifiers of our own model go into the text; values are parameters.
    return (
        f"INSERT INTO {table} ({q('key')}, {q('count')}, {q('expires_at')}) "  # noqa: S608  # nosec B608
        f"VALUES (%s, %s, %s) ON CONFLICT ({q('key')}) "
        f"DO UPDATE SET {q('count')} = {table}.{q('count')} + %s "
        f"RETURNING {q('count')}"
    )


def _hit_portable(using: str, key: str, expires_at: int, amount: int) -> int:
    rows = RateCounter.objects.using(using).filter(pk=key)
    if not rows.update(count=F("count") + amount):
        try:
            with transaction.atomic(using=using):
                RateCounter.objects.using(using).create(
                    key=key, count=amount, expires_at=expires_at
                )
            return amount
        except IntegrityError:  # another process created it first
            rows.update(count=F("count") + amount)
    # Read after the atomic update: it may include later hits from other processes,
    # which can only refuse a little early, never admit more than the limit.
    return rows.values_list("count", flat=True).get()


def hit(key: str, expires_at: int, *, using: str | None = None, amount: int = 1) -> int:
    """Count ``amount`` (one hit, or the seconds of a render) on ``key`` and return
    the window's count, this hit included.

    A count of ``amount`` means a window started: the caller then sweeps ended windows with
    ``purge_expired(limit=PURGE_BATCH)``, after its transaction, so that a sweep never
    holds row locks while other counters are taken (no lock cycles on PostgreSQL).
    Database errors propagate: the caller fails closed.
    """
    using = using or router.db_for_write(RateCounter)
    connection = connections[using]
    sql = _upsert_sql(connection)
    if sql is None:
        return _hit_portable(using, key, expires_at, amount)
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, amount, expires_at, amount])
        return cursor.fetchone()[0]


def current(key: str, *, using: str | None = None) -> int:
    """The window's count on ``key`` so far, without counting (0 when none)."""
    using = using or router.db_for_write(RateCounter)
    rows = RateCounter.objects.using(using).filter(pk=key)
    return rows.values_list("count", flat=True).first() or 0


def purge_expired(*, limit: int | None = None, using: str | None = None) -> int:
    """Delete counters whose window has ended (at most ``limit`` of them)."""
    using = using or router.db_for_write(RateCounter)
    dead = RateCounter.objects.using(using).filter(expires_at__lte=unix_now())
    if limit is None:
        return dead.delete()[0]
    keys = list(dead.values_list("pk", flat=True)[:limit])
    if not keys:
        return 0
    return RateCounter.objects.using(using).filter(pk__in=keys).delete()[0]
