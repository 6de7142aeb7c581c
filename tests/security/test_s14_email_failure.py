"""S14: email that cannot be sent leaves no half state: the code is not counted, the
cooldown is not spent, the failure is logged, the visitor sees the same answer."""

import logging
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client, override_settings

from tests.helpers import enter_code_url, last_code, request_code
from tests.security.conftest import ALICE, BOB, link_to, without_csrf
from wagtail_securelink import services
from wagtail_securelink.models import AccessEvent, Recipient, VerificationCode

pytestmark = pytest.mark.django_db


class SMTPFailureBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPException("451 try again later")


class TimeoutBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise TimeoutError("timed out")


BACKENDS = [f"{__name__}.SMTPFailureBackend", f"{__name__}.TimeoutBackend"]


def _code_page(client, link):
    return without_csrf(client.get(enter_code_url(link)).content.decode())


@pytest.mark.parametrize("backend", BACKENDS)
def test_failed_code_email_leaves_no_half_state(any_link, caplog, backend):
    """S14: no code row, no cooldown spent, an error logged, the same page."""
    link = any_link
    working = Client()
    request_code(working, link, BOB)  # the page a visitor sees when all goes well
    assert len(mail.outbox) == 1
    failing = Client()
    with (
        override_settings(EMAIL_BACKEND=backend),
        caplog.at_level(logging.ERROR, logger="wagtail_securelink"),
    ):
        response = request_code(failing, link, ALICE)
    assert response.status_code == 303
    assert not VerificationCode.objects.filter(recipient__email=ALICE).exists()
    assert Recipient.objects.get(link=link, email=ALICE).last_code_sent_at is None
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and "could not be sent" in errors[0].getMessage()
    assert AccessEvent.objects.filter(event="code_send_failed").count() == 1
    assert _code_page(failing, link).replace(ALICE, "X") == _code_page(
        working, link
    ).replace(BOB, "X")
    # Once mail works again, asking right away (no cooldown wait) sends a code.
    request_code(failing, link, ALICE)
    assert [m.to for m in mail.outbox] == [[BOB], [ALICE]]
    code = last_code(ALICE)
    assert failing.post(enter_code_url(link), {"code": code}).status_code == 303


@pytest.mark.parametrize("backend", BACKENDS)
def test_failed_code_email_keeps_the_previous_code_alive(client, any_link, backend):
    """S14: a failed resend does not kill the code the visitor already holds."""
    link = any_link
    from wagtail_securelink.models import SecureLinkPolicy

    policy = SecureLinkPolicy.load()
    policy.resend_cooldown_seconds = 0
    policy.save()
    request_code(client, link, ALICE)
    code = last_code(ALICE)
    with override_settings(EMAIL_BACKEND=backend):
        request_code(client, link, ALICE)
    assert VerificationCode.objects.count() == 1
    assert client.post(enter_code_url(link), {"code": code}).status_code == 303


@pytest.mark.parametrize("backend", BACKENDS)
def test_failed_invitation_is_reported(any_target, caplog, backend):
    """S14: a failed invitation is reported to the editor and logged, not half-sent."""
    with (
        override_settings(EMAIL_BACKEND=backend),
        caplog.at_level(logging.ERROR, logger="wagtail_securelink"),
    ):
        link = link_to(any_target, [ALICE, BOB], send_invitations=True)
    assert sorted(link.invitations.failed) == sorted([ALICE, BOB])
    assert link.invitations.sent == []
    assert not Recipient.objects.filter(invited_at__isnull=False).exists()
    assert AccessEvent.objects.filter(event="invitation_failed").count() == 2
    assert any("could not be sent" in r.getMessage() for r in caplog.records)
    # Sending again once mail works reaches both.
    report = services.send_invitations_to(link, link.recipients.all())
    assert sorted(report.sent) == sorted([ALICE, BOB])
