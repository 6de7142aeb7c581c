"""retention.py: what ``securelink_purge`` deletes, and links that expire unused
(SPEC §6, S15)."""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import make_document, make_link
from tests.helpers import request_code, verify
from wagtail_securelink.audit.chain import verify_chain
from wagtail_securelink.audit.events import record_event
from wagtail_securelink.models import (
    AccessEvent,
    AuditChainHead,
    Grant,
    VerificationCode,
)
from wagtail_securelink.operations import retention

pytestmark = pytest.mark.django_db

ALICE = "alice@example.com"


def test_purge_keeps_the_chain_verifiable():
    # The hashes cover created_at, so age events by recording them in the past.
    with time_machine.travel(timezone.now() - datetime.timedelta(days=400)):
        link = make_link(make_document(), [ALICE])
        old = [record_event("viewed", link=link) for _ in range(3)]
    recent = [record_event("viewed", link=link) for _ in range(2)]
    assert verify_chain() is None
    before = AccessEvent.objects.count()
    call_command("securelink_purge", stdout=open("/dev/null", "w"))
    remaining = set(AccessEvent.objects.values_list("pk", flat=True))
    assert not remaining & {e.pk for e in old}
    assert {e.pk for e in recent} <= remaining
    assert AccessEvent.objects.count() < before
    # The link_created event was the oldest: gone too, and the anchor is the newest purged.
    assert AuditChainHead.objects.get().anchor_hash == old[-1].hash
    assert verify_chain() is None
    # Any other deletion is still detected.
    AccessEvent.objects.filter(pk=recent[0].pk).delete()
    assert verify_chain() is not None


def test_purge_never_removes_the_newest_event(link):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=400)):
        events = [record_event("viewed", link=link) for _ in range(3)]
    AccessEvent.objects.filter(pk__lt=events[0].pk).delete()
    head = AuditChainHead.objects.get()
    head.anchor_hash = events[0].prev_hash
    head.save()
    assert verify_chain() is None
    retention.purge(retention_days=30)
    assert list(AccessEvent.objects.values_list("pk", flat=True)) == [events[-1].pk]
    assert verify_chain() is None


def test_purge_deletes_dead_codes_and_old_ended_grants(client, link):
    verify(client, link, ALICE)
    request_code(client, link, ALICE)  # a live code
    used = VerificationCode.objects.filter(used_at__isnull=False).count()
    assert used == 1
    grant = Grant.objects.get()
    Grant.objects.filter(pk=grant.pk).update(
        ended_at=timezone.now() - datetime.timedelta(days=400)
    )
    report = retention.purge(retention_days=365)
    assert report.codes >= 1 and report.grants == 1
    assert VerificationCode.objects.filter(used_at__isnull=True).count() <= 1
    assert not Grant.objects.exists()


def test_unused_links_expire_on_their_own(link):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=100)):
        stale = make_link(make_document("Stale"), [ALICE])
    call_command(
        "securelink_purge", "--expire-unused-after", "90", stdout=open("/dev/null", "w")
    )
    stale.refresh_from_db()
    link.refresh_from_db()
    assert not stale.is_active()
    assert link.is_active()
    assert AccessEvent.objects.filter(
        link=stale, event="link_changed", detail__reason="unused"
    ).exists()
    assert verify_chain() is None


def test_purge_refuses_bad_options():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("securelink_purge", "--retention-days", "5")
    with pytest.raises(CommandError):
        call_command("securelink_purge", "--expire-unused-after", "0")


def test_purge_deletes_in_bounded_batches_and_the_chain_verifies_after_each(
    settings,
):
    settings.WAGTAIL_SECURELINK_AUDIT_SEAL_DELAY = -1
    with time_machine.travel(timezone.now() - datetime.timedelta(days=400)):
        link = make_link(make_document(), [ALICE])
        for _ in range(7):
            record_event("viewed", link=link)
    recent = [record_event("viewed", link=link) for _ in range(2)]
    old = AccessEvent.objects.exclude(pk__in=[e.pk for e in recent]).count()
    cutoff = timezone.now() - datetime.timedelta(days=30)
    with CaptureQueriesContext(connection) as captured:
        assert retention.purge_events(cutoff, batch_size=3) == old
    deletes = [
        q["sql"] for q in captured.captured_queries if q["sql"].startswith("DELETE")
    ]
    # At most 3 events a statement, every statement bounded by a range of seq.
    assert len(deletes) == -(-old // 3)
    assert all('"seq" >=' in sql and '"seq" <=' in sql for sql in deletes), deletes
    assert set(AccessEvent.objects.values_list("pk", flat=True)) == {
        e.pk for e in recent
    }
    assert verify_chain() is None


def test_a_purge_stopped_between_batches_leaves_a_verifiable_chain(
    settings, monkeypatch
):
    settings.WAGTAIL_SECURELINK_AUDIT_SEAL_DELAY = -1
    with time_machine.travel(timezone.now() - datetime.timedelta(days=400)):
        link = make_link(make_document(), [ALICE])
        for _ in range(6):
            record_event("viewed", link=link)
    record_event("viewed", link=link)
    total = AccessEvent.objects.count()
    original, calls = QuerySet.delete, []

    def killed_after_one_batch(queryset):
        if calls:
            raise RuntimeError("killed")
        calls.append(1)
        return original(queryset)

    monkeypatch.setattr(QuerySet, "delete", killed_after_one_batch)
    with pytest.raises(RuntimeError):
        retention.purge_events(timezone.now() - datetime.timedelta(days=30), 2)
    monkeypatch.undo()
    assert AccessEvent.objects.count() == total - 2  # the first batch went
    assert verify_chain() is None


def test_the_purge_command_reports_its_rate(settings):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=400)):
        link = make_link(make_document(), [ALICE])
        for _ in range(3):
            record_event("viewed", link=link)
    record_event("viewed", link=link)
    out = io.StringIO()
    call_command("securelink_purge", stdout=out)
    assert "Events deleted at" in out.getvalue()
    assert "a second, in batches of" in out.getvalue()
