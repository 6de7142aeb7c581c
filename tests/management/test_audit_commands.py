"""S15: ``securelink_verify_audit`` and ``securelink_erase`` on a real audit trail."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import make_document, make_link
from tests.helpers import landing_url, request_code, verify
from wagtail_securelink.models import AccessEvent, Recipient

pytestmark = pytest.mark.django_db
ALICE = "alice@example.com"


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def trail(client):
    link = make_link(make_document(), [ALICE, "bob@example.org"])
    verify(client, link, ALICE)
    client.get(landing_url(link))
    request_code(client, link, "mallory@example.net")
    return link


def test_verify_audit_reports_an_intact_chain(trail):
    assert "intact" in run("securelink_verify_audit")


def test_verify_audit_finds_an_edited_event(trail):
    event = AccessEvent.objects.filter(event="opened").get()
    AccessEvent.objects.filter(pk=event.pk).update(event="downloaded")
    with pytest.raises(CommandError, match=f"event {event.pk}: this event was changed"):
        run("securelink_verify_audit")


def test_verify_audit_finds_a_deleted_event(trail):
    events = list(AccessEvent.objects.order_by("pk"))
    victim = events[2]
    AccessEvent.objects.filter(pk=victim.pk).delete()
    with pytest.raises(
        CommandError, match=f"event {events[3].pk}: the event before it"
    ):
        run("securelink_verify_audit")


def test_verify_audit_finds_deleted_newest_events(trail):
    AccessEvent.objects.order_by("-pk").first().delete()
    with pytest.raises(CommandError, match="newest events were deleted"):
        run("securelink_verify_audit")


def test_erase_removes_a_person_and_keeps_the_chain(client, trail):
    assert AccessEvent.objects.filter(email=ALICE).exists()
    out = run("securelink_erase", "Alice@Example.com")
    assert "alice@example.com" in out
    assert not Recipient.objects.filter(email=ALICE).exists()
    assert not AccessEvent.objects.filter(email=ALICE).exists()
    assert Recipient.objects.filter(email="bob@example.org").exists()
    # Alice's grant went with her recipient row: the link asks for a code again.
    assert b"Confirm your email address" in client.get(landing_url(trail)).content
    assert "intact" in run("securelink_verify_audit")
    run("securelink_erase", "mallory@example.net")
    assert not AccessEvent.objects.filter(email="mallory@example.net").exists()
    assert "intact" in run("securelink_verify_audit")


def test_erase_refuses_a_bad_address():
    with pytest.raises(CommandError, match="not a valid email address"):
        run("securelink_erase", "nope")
