"""Erasing a person's data on request (``securelink_erase``), keeping the audit chain.

Unlike removing a person from their links (``people.remove_people``), which keeps the
access events with the address, erasure deletes the address everywhere it is stored.
"""

import logging

from django.db import transaction
from django.db.models import Q

from wagtail_securelink.core.addresses import normalise_email
from wagtail_securelink.models import (
    AccessEvent,
    AccessRequest,
    Passkey,
    PrivateItem,
    Recipient,
)

__all__ = ["erase_address"]

logger = logging.getLogger(__name__)


def erase_address(address: str) -> dict:
    """Erase a person's data: their recipient rows (with codes and grants), their
    passkeys, and the email, IP and user agent of their access events. The events
    stay, so the chain (which covers a keyed digest of those fields, not the fields)
    remains verifiable."""
    address = normalise_email(address)
    with transaction.atomic():
        recipients = list(
            Recipient.objects.filter(email=address).values_list("pk", flat=True)
        )
        events = AccessEvent.objects.filter(
            Q(email=address) | Q(recipient_id__in=recipients)
        ).update(email="", ip_address="", user_agent="")
        PrivateItem.objects.filter(uploaded_by=address).update(uploaded_by="")
        # Their access requests hold the address and their message.
        AccessRequest.objects.filter(email=address).delete()
        # Their passkeys name the address and would let them in again.
        passkeys = Passkey.objects.filter(email=address).delete()[0]
        Recipient.objects.filter(pk__in=recipients).delete()
    logger.info(
        "Erased the data of one address: %s recipients, %s events",
        len(recipients),
        events,
    )
    return {
        "address": address,
        "recipients": len(recipients),
        "events": events,
        "passkeys": passkeys,
    }
