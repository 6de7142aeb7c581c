"""The emails of verification (SPEC §3), run in tasks: the code a visitor asked for,
or, for a recipient who has an account on the site, a reminder to sign in instead.

A code is claimed (marked sent) by a conditional UPDATE before the mail server gets
it; a failed send deletes it, so nothing is counted (S14). Tasks take row ids only.
"""

import datetime
import logging

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from wagtail_securelink import signals
from wagtail_securelink.audit.events import record_event
from wagtail_securelink.choices import EventType
from wagtail_securelink.conf import settings
from wagtail_securelink.core.tokens import link_url
from wagtail_securelink.mail.messages import get_emails
from wagtail_securelink.models import Recipient, ShareLink, VerificationCode
from wagtail_securelink.verification import address_state, codes

__all__ = [
    "deliver_code",
    "deliver_sign_in_reminder",
    "send_code_email",
    "send_sign_in_email",
]

logger = logging.getLogger(__name__)


def deliver_code(code_id: int) -> str:
    """Email one code (runs in a task). Returns "sent", "failed" or "skipped".

    On failure the code row is deleted: it is not counted, the cooldown is not spent,
    and older codes stay alive (S14). On success every older code of the recipient
    dies (S3) and the cooldown starts.
    """
    code = (
        VerificationCode.objects.select_related("recipient__link")
        .filter(pk=code_id, used_at__isnull=True, invalidated_at__isnull=True)
        .first()
    )
    if code is None or code.expires_at <= timezone.now():
        return "skipped"
    if code.sent_at is not None:
        # Claimed before: by a run that is still sending, that finished, or whose
        # worker died mid-send (recovery.py runs the task again). Only the last is sent
        # again, and only while it is the recipient's newest code: the same code.
        return _send_again(code)
    # Mark the code sent *before* handing it to the mail server, with a conditional
    # UPDATE. With a task worker the email can reach the visitor, and be typed in,
    # before anything after ``send`` has committed, and verify_code accepts only codes
    # marked sent. The UPDATE is also a claim: of two runs of one task, only one sends.
    # A failed send deletes the row below, so nothing is counted then (S14).
    claimed = VerificationCode.objects.filter(pk=code.pk, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    if not claimed:
        return "skipped"
    return _send(code)


def _send_again(code) -> str:
    """Send a code whose earlier run died between its claim and its confirmation."""
    stale = timezone.now() - datetime.timedelta(seconds=settings.TASK_STALE_AFTER)
    recipient = code.recipient
    confirmed = (
        recipient.last_code_sent_at is not None
        and recipient.last_code_sent_at >= code.sent_at
    )
    newer = VerificationCode.objects.filter(
        recipient=recipient, created_at__gt=code.created_at
    ).exists()
    if confirmed or newer or code.sent_at > stale:
        return "skipped"
    claimed = VerificationCode.objects.filter(pk=code.pk, sent_at=code.sent_at).update(
        sent_at=timezone.now()
    )
    if not claimed:
        return "skipped"  # another run took it
    return _send(code)


def _send(code) -> str:
    recipient, link = code.recipient, code.recipient.link
    try:
        emails = get_emails()
        lifetime = max(
            1, round((code.expires_at - code.created_at).total_seconds() / 60)
        )
        plain = codes.code_for(code.nonce, code.digits, code.code_hash)
        if plain is None:
            # Written under a key this process does not hold: mailing a code derived
            # under our key would send one that can never match. Fail it (not counted).
            raise _UnknownSecretKey
        emails.send(emails.code(link, recipient, plain, lifetime, link_url(link)))
    except Exception as exc:
        logger.error(
            "Verification code for link %s could not be sent: %s",
            link.pk,
            type(exc).__name__,
        )
        code.delete()
        address_state.release(link, recipient.email)
        record_event(EventType.CODE_SEND_FAILED, link=link, recipient=recipient)
        return "failed"
    now = timezone.now()
    # ``sent_at`` stays the claim's time: ``last_code_sent_at`` (now) is later, which is
    # how ``_send_again`` knows this run finished.
    with transaction.atomic():
        VerificationCode.objects.filter(
            recipient=recipient, used_at__isnull=True, invalidated_at__isnull=True
        ).exclude(pk=code.pk).update(invalidated_at=now)
        Recipient.objects.filter(pk=recipient.pk).update(last_code_sent_at=now)
        record_event(EventType.CODE_SENT, link=link, recipient=recipient)
    signals.code_sent.send(sender=ShareLink, link=link, recipient=recipient)
    return "sent"


class _UnknownSecretKey(Exception):
    """The code row was written under none of this process's SECRET_KEY/FALLBACKS."""


def deliver_sign_in_reminder(recipient_id: int) -> str:
    """Tell a recipient who has an account on the site to sign in (runs in a task)."""
    recipient = Recipient.objects.select_related("link").filter(pk=recipient_id).first()
    if recipient is None:
        return "skipped"
    url = link_url(recipient.link)
    login_url = settings.base_url + reverse(
        "wagtail_securelink:sign_in", args=[recipient.link.token]
    )
    try:
        emails = get_emails()
        emails.send(emails.account_sign_in(recipient.link, recipient, url, login_url))
    except Exception as exc:
        logger.error("Sign-in reminder could not be sent: %s", type(exc).__name__)
        return "failed"
    Recipient.objects.filter(pk=recipient_id).update(last_code_sent_at=timezone.now())
    record_event(
        EventType.ACCOUNT_SIGN_IN_SENT, link=recipient.link, recipient=recipient
    )
    return "sent"


@task()
def send_code_email(code_id: int) -> str:
    return deliver_code(code_id)


@task()
def send_sign_in_email(recipient_id: int) -> str:
    return deliver_sign_in_reminder(recipient_id)
