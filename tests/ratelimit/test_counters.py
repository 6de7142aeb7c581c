"""The database store of the rate limits (``counters``): windows, atomic hits across
threads and processes, hashed keys, purging."""

import json
import os
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction

from wagtail_securelink.models import RateCounter
from wagtail_securelink.ratelimit import counters

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("period", [60, 3600, 86400, 900])
@pytest.mark.parametrize("value", ["203.0.113.0/24", "link:1", "2001:db8::/48"])
def test_windows_are_aligned_as_django_ratelimit_aligns_them(value, period):
    """Multiples of the period since the epoch, shifted by the value's CRC32."""
    jitter = zlib.crc32(value.encode()) % period
    for ts in (1_800_000_000, 1_800_000_017, 1_800_003_599, 1_800_000_000 + jitter):
        end = counters.window_end(value, period, ts)
        assert ts < end <= ts + period
        assert (end - jitter) % period == 0
        # Every second of a window maps to the same end.
        assert counters.window_end(value, period, end - period) == end
        assert counters.window_end(value, period, end - 1) == end
        assert counters.window_end(value, period, end) == end + period


def test_keys_are_keyed_hashes_that_differ_per_scope_value_and_window():
    key = counters.counter_key("check.network", "203.0.113.0/24", 3600, 100)
    assert len(key) == 64 and "203.0.113" not in key
    others = {
        counters.counter_key("send.network", "203.0.113.0/24", 3600, 100),
        counters.counter_key("check.network", "203.0.114.0/24", 3600, 100),
        counters.counter_key("check.network", "203.0.113.0/24", 60, 100),
        counters.counter_key("check.network", "203.0.113.0/24", 3600, 3700),
    }
    assert key not in others and len(others) == 4


@pytest.fixture(params=["upsert", "portable"])
def store_path(request, monkeypatch):
    """Both ways of counting: the single upsert (SQLite, PostgreSQL) and the
    UPDATE-then-INSERT fallback for other databases."""
    if request.param == "portable":
        monkeypatch.setattr(counters, "_upsert_sql", lambda connection: None)
    return request.param


@pytest.mark.django_db
def test_hits_count_up_from_one(store_path):
    end = counters.unix_now() + 60
    with transaction.atomic():
        assert [counters.hit("k" * 64, end) for _ in range(3)] == [1, 2, 3]
    assert RateCounter.objects.get().count == 3


@pytest.mark.django_db(transaction=True)
def test_ten_threads_count_every_hit(store_path):
    """No lost update: 10 threads × 20 hits on one key give exactly 200."""
    threads, hits = 10, 20
    key, end = "t" * 64, counters.unix_now() + 3600
    start = threading.Barrier(threads)
    seen, errors = [], []

    def worker():
        try:
            start.wait()
            for _ in range(hits):
                # Autocommit, each hit alone: the statement itself must be atomic.
                seen.append(counters.hit(key, end))
        except Exception as exc:  # reported below, with the thread's traceback lost
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []
    assert RateCounter.objects.get(pk=key).count == threads * hits
    if store_path == "upsert":
        # Each hit saw its own count: the increment and the read are one statement.
        assert sorted(seen) == list(range(1, threads * hits + 1))


_CHILD = """
import json, os, sys
import django
django.setup()
from django.db import connection
from django.test import RequestFactory, override_settings
connection.settings_dict["NAME"] = sys.argv[1]
from wagtail_securelink.ratelimit import rules as ratelimits
allowed = limited = 0
with override_settings(
    WAGTAIL_SECURELINK_RATE_LIMIT_STORE="database",
    WAGTAIL_SECURELINK_RATE_LOOKUP_PER_NETWORK="10/h",
):
    for _ in range(int(sys.argv[2])):
        try:
            ratelimits.check_limits(
                RequestFactory().get("/", REMOTE_ADDR="203.0.113.50"), ratelimits.LOOKUP
            )
            allowed += 1
        except ratelimits.Limited:
            limited += 1
print(json.dumps([allowed, limited]))
"""


@pytest.mark.django_db(transaction=True)
@pytest.mark.process
def test_two_processes_count_into_one_limit():
    """Two OS processes on one database file share the limit: 10 admitted, not 20."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    name = connection.settings_dict["NAME"]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, name, "10"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(allowed for allowed, _ in results) == 10
    assert sum(limited for _, limited in results) == 10
    assert RateCounter.objects.get().count == 20


@pytest.mark.django_db
def test_purge_expired_deletes_ended_windows_only():
    # The clock stands still: on a loaded machine a second could pass between the
    # rows' creation and the purge, and end the window that must stay.
    with time_machine.travel("2026-06-01 12:00:00", tick=False):
        _purge_expired_deletes_ended_windows_only()


def _purge_expired_deletes_ended_windows_only():
    now = counters.unix_now()
    RateCounter.objects.bulk_create(
        [
            RateCounter(key="a" * 64, count=3, expires_at=now - 10),
            RateCounter(key="b" * 64, count=3, expires_at=now),
            RateCounter(key="c" * 64, count=3, expires_at=now + 1),
        ]
    )
    assert counters.purge_expired(limit=1) == 1
    assert counters.purge_expired() == 1
    assert list(RateCounter.objects.values_list("pk", flat=True)) == ["c" * 64]


@pytest.mark.django_db
def test_securelink_purge_deletes_ended_windows(capsys):
    now = counters.unix_now()
    RateCounter.objects.bulk_create(
        [
            RateCounter(key="a" * 64, count=3, expires_at=now - 10),
            RateCounter(key="c" * 64, count=3, expires_at=now + 3600),
        ]
    )
    call_command("securelink_purge")
    assert "1 ended rate-limit windows" in capsys.readouterr().out
    assert list(RateCounter.objects.values_list("pk", flat=True)) == ["c" * 64]
