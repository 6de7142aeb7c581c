"""Invitations: the email that gives a recipient their link, and its task.

``send_invitations_to`` queues one task per recipient and reports what happened to
each; the task (``send_invitation_email``) builds and sends the email
(``deliver_invitation``). Tasks take row ids only: no token or address sits in a queue.
"""

import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from wagtail_securelink.audit.events import record_event
from wagtail_securelink.choices import EventType
from wagtail_securelink.core.tokens import link_url
from wagtail_securelink.mail.messages import get_emails
from wagtail_securelink.models import Recipient, ShareLink
from wagtail_securelink.models.policy import current_policy
from wagtail_securelink.policy import enforcement
from wagtail_securelink.tasks.background import enqueue

__all__ = [
    "InvitationReport",
    "send_invitations_to",
    "deliver_invitation",
    "send_invitation_email",
    "resend_invitation",
]

logger = logging.getLogger(__name__)


@dataclass
class InvitationReport:
    sent: list[str] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def send_invitations_to(link: ShareLink, recipients) -> InvitationReport:
    report = InvitationReport()
    for recipient in recipients:
        result = enqueue(send_invitation_email, recipient.pk)
        status = getattr(result, "status", None)
        if status is not None and status.name == "SUCCESSFUL":
            bucket = report.sent if result.return_value == "sent" else report.failed
        elif status is not None and status.name == "FAILED":
            bucket = report.failed
        else:
            bucket = report.queued
        bucket.append(recipient.email)
    return report


def resend_invitation(recipient: Recipient, *, user=None, request=None):
    """Email the invitation to one recipient again; returns the ``InvitationReport``."""
    if not recipient.link.is_active():
        raise ValidationError(_("This link no longer works; nothing was sent."))
    return send_invitations_to(recipient.link, [recipient])


def deliver_invitation(recipient_id: int) -> str:
    """Build and send one invitation (runs in a task). Returns "sent", "failed" or "skipped"."""
    recipient = (
        Recipient.objects.select_related("link", "link__created_by")
        .filter(pk=recipient_id)
        .first()
    )
    if (
        recipient is None
        or not recipient.link.is_active(policy=(policy := current_policy()))
        or recipient.is_expired()
        or not enforcement.address_allowed(recipient.email, policy)
    ):
        return "skipped"
    link = recipient.link
    try:
        emails = get_emails()
        emails.send(emails.invitation(link, recipient, link_url(link)))
    except (
        Exception
    ) as exc:  # SMTP, template or network errors: report, never half-state
        logger.error(
            "Invitation for link %s could not be sent: %s", link.pk, type(exc).__name__
        )
        record_event(EventType.INVITATION_FAILED, link=link, recipient=recipient)
        return "failed"
    Recipient.objects.filter(pk=recipient.pk).update(invited_at=timezone.now())
    record_event(EventType.INVITATION_SENT, link=link, recipient=recipient)
    return "sent"


@task()
def send_invitation_email(recipient_id: int) -> str:
    return deliver_invitation(recipient_id)
