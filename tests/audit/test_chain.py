"""The audit chain sealed in batches (S15): ``chain.seal_chain`` and the sealing timer.

Recording an event is one INSERT; sealing comes later, in order, with no lock that
every request takes. These tests show that nothing is lost while events wait, that the
chain verifies once sealed (in one process or four at once), and that tampering with a
sealed event is still found.
"""

import os
import subprocess
import sys
import textwrap

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from wagtail_securelink.audit import events
from wagtail_securelink.audit.chain import (
    SealingLag,
    event_hash,
    seal_chain,
    sealing_lag,
    unsealed_count,
    verify_chain,
)
from wagtail_securelink.audit.events import record_event
from wagtail_securelink.models import AccessEvent, AuditChainHead, PendingDelivery
from wagtail_securelink.tasks import background

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def manual_sealing(settings):
    settings.WAGTAIL_SECURELINK_AUDIT_SEAL_DELAY = -1


def _record(n, start=0):
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9")
    return [
        record_event("opened", email=f"p{i}@example.com", request=request)
        for i in range(start, start + n)
    ]


@pytest.mark.django_db
def test_events_wait_unsealed_then_seal_in_order(manual_sealing):
    rows = _record(5)
    assert unsealed_count() == 5
    assert all(row.hash == "" for row in AccessEvent.objects.all())
    assert verify_chain() is None  # nothing sealed yet is not a broken chain

    assert seal_chain(batch_size=2) == 5  # a count: the sealer keeps no rows
    assert unsealed_count() == 0
    chain = list(AccessEvent.objects.order_by("seq"))
    assert [e.pk for e in chain] == [r.pk for r in rows]
    assert [e.seq for e in chain] == [1, 2, 3, 4, 5]
    assert chain[0].prev_hash == ""
    for before, after in zip(chain, chain[1:], strict=False):
        assert after.prev_hash == before.hash
    head = AuditChainHead.objects.get()
    assert (head.last_seq, head.last_hash) == (5, chain[-1].hash)
    assert verify_chain() is None

    # Later events continue the same chain.
    _record(2, start=5)
    seal_chain()
    assert verify_chain() is None
    assert AccessEvent.objects.order_by("-seq").first().seq == 7


@pytest.mark.django_db
def test_tampering_with_sealed_events_is_found(manual_sealing):
    _record(4)
    seal_chain()
    second = AccessEvent.objects.get(seq=2)
    AccessEvent.objects.filter(pk=second.pk).update(detail={"forged": True})
    assert verify_chain().event_id == second.pk
    AccessEvent.objects.filter(pk=second.pk).update(detail={})
    assert verify_chain() is None

    AccessEvent.objects.filter(seq=3).delete()
    assert verify_chain().reason == "the event before it was deleted or changed"


@pytest.mark.django_db
def test_deleting_the_newest_sealed_event_is_found(manual_sealing):
    _record(3)
    seal_chain()
    AccessEvent.objects.filter(seq=3).delete()
    assert verify_chain().reason == "the newest events were deleted"


@pytest.mark.django_db
def test_an_event_committed_late_is_sealed_in_the_next_batch(manual_sealing):
    """On PostgreSQL a smaller id can commit after a larger one was sealed."""
    first, second = _record(2)
    late = AccessEvent.objects.get(pk=first.pk)
    AccessEvent.objects.filter(pk=first.pk).delete()  # not committed yet, as it were
    seal_chain()
    late.save(force_insert=True)  # commits now, with its smaller id
    late_row = AccessEvent.objects.get(pk=first.pk)
    assert late_row.seq is None
    seal_chain()
    late_row.refresh_from_db()
    assert late_row.seq == AccessEvent.objects.get(pk=second.pk).seq + 1
    assert verify_chain() is None


@pytest.mark.django_db
def test_verify_command_reports_events_awaiting_sealing(manual_sealing, capsys):
    _record(3)
    call_command("securelink_verify_audit")
    out = capsys.readouterr().out
    assert "0 sealed events" in out
    assert "3 newer events await sealing" in out
    call_command("securelink_verify_audit", "--seal")
    out = capsys.readouterr().out
    assert "3 sealed events" in out
    assert "await sealing" not in out


@pytest.mark.django_db(transaction=True)
def test_the_sealing_task_seals_what_this_process_recorded(settings):
    settings.WAGTAIL_SECURELINK_AUDIT_SEAL_DELAY = 0.05
    events._sealing_queued_at = float("-inf")
    _record(3)
    # One task for the burst, queued for after the delay, in the background thread.
    assert (
        PendingDelivery.objects.filter(task=events.seal_task.module_path).count() == 1
    )
    assert background.flush()
    assert unsealed_count() == 0
    assert verify_chain() is None
    assert not PendingDelivery.objects.exists()


_WORKER = textwrap.dedent(
    """
    import sys
    import django
    django.setup()
    from django.test.utils import override_settings
    from wagtail_securelink.audit.events import record_event

    delay = float(sys.argv[1])
    with override_settings(WAGTAIL_SECURELINK_AUDIT_SEAL_DELAY=delay):
        for i in range(int(sys.argv[2])):
            record_event("downloaded", email=f"w{i}@example.com", detail={"i": i})
    # Leaving the process seals what is still pending (atexit).
    """
)


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.process
def test_four_processes_appending_at_once_lose_nothing():
    """S15 under concurrency: two processes seal as they go, two by a timer."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": _database_url(),
        "PYTHONPATH": ROOT,
    }
    per_process = 60
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, delay, str(per_process)],
            cwd=ROOT,
            env=env,
        )
        for delay in ("0", "0", "0.01", "0.01")
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    assert AccessEvent.objects.count() == 4 * per_process
    seal_chain()  # anything a timer had not reached yet
    assert unsealed_count() == 0
    seqs = list(AccessEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 4 * per_process + 1))
    assert verify_chain() is None


OLD_KEY = "tests-secret-key-not-for-production-0123456789abcdef"  # tests/settings.py
NEW_KEY = "the-rotated-secret-key-0123456789-0123456789-abcdef"


def _rotate_and_drop(settings):
    """Seal 3 events under the old key, rotate (old key a fallback), seal 2 under the
    new key, then drop the old key."""
    old = _record(3)
    seal_chain()
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]
    new = _record(2, start=3)
    seal_chain()
    call_command("securelink_verify_audit")  # everything verifies with the fallback
    settings.SECRET_KEY_FALLBACKS = []
    return old, new


@pytest.mark.django_db
def test_events_of_a_dropped_key_are_reported_as_signed_with_a_retired_key(
    manual_sealing, settings, capsys
):
    old, _new = _rotate_and_drop(settings)
    assert verify_chain() is None
    call_command("securelink_verify_audit")
    out = capsys.readouterr().out
    assert "5 sealed events" in out
    assert (
        f"3 events (ids {old[0].pk} to {old[-1].pk}) are signed with a retired key"
        in out
    )
    assert "changed" not in out


@pytest.mark.django_db
def test_an_edit_after_the_key_change_is_still_reported_as_changed(
    manual_sealing, settings
):
    _old, new = _rotate_and_drop(settings)
    AccessEvent.objects.filter(pk=new[0].pk).update(detail={"edited": True})
    problem = verify_chain()
    assert problem is not None
    assert (problem.event_id, problem.reason) == (new[0].pk, "this event was changed")


@pytest.mark.django_db
def test_the_key_change_record_cannot_be_moved_without_the_key(
    manual_sealing, settings
):
    """Moving the boundary forward over an edited event would hide the edit: the
    record is an HMAC under the new key, so the move itself is reported."""
    _old, new = _rotate_and_drop(settings)
    AccessEvent.objects.filter(pk=new[0].pk).update(detail={"edited": True})
    edited_seq = AccessEvent.objects.get(pk=new[0].pk).seq
    AuditChainHead.objects.filter(pk=1).update(retired_through_seq=edited_seq)
    problem = verify_chain()
    assert problem is not None
    assert problem.reason == "the record of the last key change was altered"


@pytest.mark.django_db
def test_without_a_key_change_an_unverifiable_event_is_changed(
    manual_sealing, settings
):
    events_ = _record(3)
    seal_chain()
    settings.SECRET_KEY = NEW_KEY  # a wrong key, and no rotation was ever sealed
    problem = verify_chain()
    assert problem is not None
    assert (problem.event_id, problem.reason) == (
        events_[0].pk,
        "this event was changed",
    )


def _batch_statements(backlog: int, batch_size: int) -> list[str]:
    _record(backlog, start=AccessEvent.objects.count())
    with CaptureQueriesContext(connection) as captured:
        assert seal_chain(batch_size=batch_size) == backlog
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.django_db
def test_sealing_costs_the_same_statements_per_batch_whatever_the_backlog(
    manual_sealing,
):
    """Each batch is a bounded set of statements: the head locked, one SELECT of the
    next batch after the last id sealed (keyset), one write of all its seals, the head
    moved. Nothing re-reads the backlog, and no ``CASE`` per row (``bulk_update``)."""
    seal_chain()  # the chain head exists
    small = _batch_statements(6, batch_size=3)  # 2 full batches and an empty one
    large = _batch_statements(30, batch_size=3)  # 10 and an empty one
    per_batch = (len(large) - len(small)) / 8
    # savepoint, head lock (SQLite: a write first), next batch, the seals, head
    # moved, release
    assert per_batch == (7 if connection.vendor == "sqlite" else 6)
    assert len(small) - 2 * per_batch <= 5
    selects = [s for s in large if "ORDER BY" in s and "accessevent" in s]
    assert len(selects) == 11
    assert all('"id" >' in s for s in selects), selects[:2]
    assert not [s for s in large if "CASE WHEN" in s]
    assert verify_chain() is None


@pytest.mark.django_db
def test_the_next_batch_is_found_through_an_index_in_id_order(manual_sealing):
    """A range search in id order over unsealed rows, never a scan or a sort of the
    backlog (SQLite picks its index on ``seq``, whose NULLs are kept in rowid order;
    PostgreSQL the partial index ``securelink_event_unsealed``)."""
    if connection.vendor != "sqlite":
        pytest.skip("the plan of a tiny table on PostgreSQL may be a scan")
    _record(3)
    plan = (
        AccessEvent.objects.filter(seq__isnull=True, pk__gt=0)
        .order_by("pk")
        .values_list("pk")[:500]
        .explain()
    )
    assert "SEARCH" in plan, plan
    assert "SCAN" not in plan and "TEMP B-TREE" not in plan, plan


@pytest.mark.django_db
def test_the_sealers_hash_is_event_hash(manual_sealing):
    """The sealer's loop (a key derived once) and ``event_hash`` agree byte for byte."""
    _record(3)
    seal_chain()
    for event in AccessEvent.objects.order_by("seq"):
        assert event.hash == event_hash(event)


@pytest.mark.django_db
def test_sealing_lag_counts_the_backlog_and_dates_its_oldest(manual_sealing):
    assert sealing_lag() == SealingLag(0, None)
    first, *_ = _record(3)
    lag = sealing_lag()
    assert lag.unsealed == 3
    assert lag.oldest == AccessEvent.objects.get(pk=first.pk).created_at
    seal_chain()
    assert sealing_lag() == SealingLag(0, None)
