"""Recipients of a ``specific`` link: add, remove and unlock addresses (SPEC §2).

Each change is an access event and, for additions and removals, a Wagtail log entry.
Adding queues the invitations (``invitations``); removing an address ends its access
at once, with its grants and codes (S9).
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from wagtail.log_actions import log

from wagtail_securelink.audit.events import record_event
from wagtail_securelink.choices import Audience, EventType
from wagtail_securelink.core import languages
from wagtail_securelink.core.addresses import normalise_email
from wagtail_securelink.mail.invitations import send_invitations_to
from wagtail_securelink.models import Recipient, SecureLinkPolicy, ShareLink
from wagtail_securelink.models.policy import current_policy
from wagtail_securelink.policy.enforcement import address_allowed

__all__ = [
    "clean_recipients",
    "clean_access_end",
    "create_recipients",
    "add_recipients",
    "remove_recipient",
    "unlock_recipient",
]


def clean_recipients(addresses, policy: SecureLinkPolicy) -> list[str]:
    """Normalise and de-duplicate addresses; raise one error naming every refused one."""
    invalid, refused, clean = [], [], []
    for raw in addresses:
        if not (raw or "").strip():
            continue
        try:
            address = normalise_email(raw)
        except ValidationError:
            invalid.append(raw.strip()[:100])
            continue
        if not address_allowed(address, policy):
            refused.append(address)
            continue
        if address not in clean:
            clean.append(address)
    messages = []
    if invalid:
        messages.append(
            ngettext(
                "This is not a valid email address: %(list)s",
                "These are not valid email addresses: %(list)s",
                len(invalid),
            )
            % {"list": ", ".join(invalid)}
        )
    if refused:
        messages.append(
            ngettext(
                "The site's policy does not allow sharing with %(list)s",
                "The site's policy does not allow sharing with these addresses: %(list)s",
                len(refused),
            )
            % {"list": ", ".join(refused)}
        )
    if messages:
        raise ValidationError({"recipients": messages})
    return clean


def clean_access_end(expires_at: datetime.datetime | None):
    """A per-person end of access must lie in the future (``None``: no end of its own)."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError(
            {"access_until": _("The end of access must be in the future.")}
        )
    return expires_at


def create_recipients(link, addresses, *, added_by, language, expires_at):
    """The ``Recipient`` rows of clean ``addresses`` (one INSERT); no email, no event."""
    return Recipient.objects.bulk_create(
        [
            Recipient(
                link=link,
                email=address,
                added_by=added_by,
                language=languages.supported(language),
                expires_at=expires_at,
            )
            for address in addresses
        ]
    )


def add_recipients(
    link: ShareLink,
    addresses,
    *,
    added_by=None,
    send_invitations=True,
    language: str = "",
    expires_at=None,
    request=None,
):
    """Add addresses to an active ``specific`` link; returns the new ``Recipient`` rows.

    ``expires_at`` is their own end of access ("access until"), if any. Raises
    ``ValidationError`` for any other link and for refused addresses.
    """
    if link.audience != Audience.SPECIFIC or not link.is_active():
        raise ValidationError(
            {
                "recipients": _(
                    "People can only be added to active links for specific people."
                )
            }
        )
    policy = current_policy()
    clean = clean_recipients(addresses, policy)
    expires_at = clean_access_end(expires_at)
    existing = set(link.recipients.values_list("email", flat=True))
    new = [a for a in clean if a not in existing]
    with transaction.atomic():
        rows = create_recipients(
            link, new, added_by=added_by, language=language, expires_at=expires_at
        )
        for row in rows:
            record_event(
                EventType.RECIPIENT_ADDED,
                link=link,
                recipient=row,
                user=added_by,
                request=request,
            )
        if rows:
            log(
                instance=link,
                action="wagtail_securelink.recipient_add",
                user=added_by,
                data={"count": len(rows)},
            )
    if send_invitations and rows:
        send_invitations_to(link, rows)
    return rows


def remove_recipient(recipient: Recipient, *, user=None, request=None) -> None:
    """Remove an address; its grants and codes go with it, so access ends at once (S9)."""
    link = recipient.link
    with transaction.atomic():
        record_event(
            EventType.RECIPIENT_REMOVED,
            link=link,
            recipient=recipient,
            user=user,
            request=request,
        )
        log(instance=link, action="wagtail_securelink.recipient_remove", user=user)
        recipient.delete()


def unlock_recipient(recipient: Recipient, *, user=None, request=None) -> None:
    Recipient.objects.filter(pk=recipient.pk).update(locked_at=None, failure_count=0)
    recipient.locked_at, recipient.failure_count = None, 0
    record_event(
        EventType.RECIPIENT_UNLOCKED,
        link=recipient.link,
        recipient=recipient,
        user=user,
        request=request,
    )
