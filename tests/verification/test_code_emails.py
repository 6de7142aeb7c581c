"""code_emails.py: the emails a visitor's request leads to, sent from a task."""

import pytest
from django.core import mail

from tests.factories import make_link
from wagtail_securelink.choices import EventType
from wagtail_securelink.models import AccessEvent
from wagtail_securelink.verification.emails import deliver_sign_in_reminder

pytestmark = pytest.mark.django_db


class RefusingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP down")


def test_a_sign_in_reminder_is_sent_recorded_and_reported(contract):
    link = make_link(contract, ["alice@example.com"])
    recipient = link.recipients.get()
    assert deliver_sign_in_reminder(recipient.pk) == "sent"
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert f"/share/{link.token}/" in message.body
    recipient.refresh_from_db()
    assert recipient.last_code_sent_at is not None
    assert AccessEvent.objects.filter(
        event=EventType.ACCOUNT_SIGN_IN_SENT, recipient=recipient
    ).exists()


def test_a_sign_in_reminder_that_fails_records_nothing(contract, settings):
    link = make_link(contract, ["alice@example.com"])
    recipient = link.recipients.get()
    settings.EMAIL_BACKEND = "tests.verification.test_code_emails.RefusingBackend"
    assert deliver_sign_in_reminder(recipient.pk) == "failed"
    recipient.refresh_from_db()
    assert recipient.last_code_sent_at is None
    assert not AccessEvent.objects.filter(event=EventType.ACCOUNT_SIGN_IN_SENT).exists()


def test_a_sign_in_reminder_for_a_removed_person_is_skipped():
    assert deliver_sign_in_reminder(10**9) == "skipped"
