"""Unit tests for ``wagtail_securelink.audit.events``: the tamper-evident chain (S15)."""

import pytest
from django.test import RequestFactory, override_settings

from wagtail_securelink.audit.chain import personal_digest, verify_chain
from wagtail_securelink.audit.events import record_event
from wagtail_securelink.choices import EventType
from wagtail_securelink.models import AccessEvent, AuditChainHead

pytestmark = pytest.mark.django_db


def _events(n=4):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="pytest"
    )
    return [
        record_event(
            EventType.OPENED,
            email=f"p{i}@example.com",
            request=request,
            detail={"i": i},
        )
        for i in range(n)
    ]


def test_intact_chain_verifies():
    assert verify_chain() is None  # empty
    events = _events()
    assert verify_chain() is None
    assert events[0].prev_hash == ""
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev_hash == before.hash
    head = AuditChainHead.objects.get()
    assert (head.last_event_id, head.last_hash) == (events[-1].pk, events[-1].hash)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("event", EventType.DOWNLOADED),
        ("detail", {"i": 99}),
        ("created_at", None),
        ("link_id", 12345),
        ("personal_digest", "0" * 64),
    ],
)
def test_edited_row_is_reported(field, value):
    events = _events()
    target = events[1]
    if field == "created_at":
        value = target.created_at.replace(year=2000)
    AccessEvent.objects.filter(pk=target.pk).update(**{field: value})
    problem = verify_chain()
    assert problem is not None
    assert problem.event_id == target.pk


def test_erased_personal_fields_keep_the_chain_verifiable():
    """Erasure blanks personal fields but keeps their digest: the chain still verifies,
    and the digest cannot be matched without the key."""
    events = _events()
    AccessEvent.objects.filter(pk=events[1].pk).update(
        email="", ip_address="", user_agent=""
    )
    assert verify_chain() is None
    assert events[1].personal_digest == personal_digest(
        "p1@example.com", "203.0.113.0", "pytest"
    )


def test_rehashed_edit_without_the_key_is_reported():
    events = _events()
    forged = AccessEvent.objects.get(pk=events[1].pk)
    forged.event = EventType.DOWNLOADED
    with override_settings(SECRET_KEY="an-attacker-key-0123456789-0123456789-0123"):
        from wagtail_securelink.audit.chain import event_hash

        forged.hash = event_hash(forged)
    forged.save()
    problem = verify_chain()
    assert problem is not None and problem.event_id == events[1].pk


def test_deleted_row_is_reported():
    events = _events()
    AccessEvent.objects.filter(pk=events[1].pk).delete()
    problem = verify_chain()
    assert problem is not None
    assert problem.event_id == events[2].pk


def test_deleted_newest_rows_are_reported():
    events = _events()
    AccessEvent.objects.filter(pk=events[-1].pk).delete()
    problem = verify_chain()
    assert problem is not None
    assert problem.event_id == events[-1].pk


def test_chain_survives_key_rotation_through_fallbacks():
    _events()
    old = "tests-secret-key-not-for-production-0123456789abcdef"
    with override_settings(
        SECRET_KEY="a-new-secret-key-0123456789-0123456789", SECRET_KEY_FALLBACKS=[old]
    ):
        _events(2)
        assert verify_chain() is None


def test_events_hold_no_full_ip_by_default():
    (event,) = _events(1)
    assert event.ip_address == "203.0.113.0"
