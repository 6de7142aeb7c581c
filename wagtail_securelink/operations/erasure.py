"""Erasing a person's data on request (``securelink_erase``), keeping the audit chain.

Unlike removing a person from their links (``people.remove_people``), which keeps the
access events with the address, erasure deletes the address everywhere it is stored.

Sessions: a browser that asked for a code keeps the typed address in its session
(``verification.requests.session_slot``) until the code is entered; an admin's session
may hold the result of a share (the invited addresses) until its page is shown. With
the database session backends (``db``, ``cached_db``) erasure reads every unexpired
session, in bounded batches, and ends the visitors' sessions that carry the address
(and drops it from any other of this package's session values). Cache-only sessions
cannot be listed and signed-cookie sessions live in the visitor's own browser: those
keep the address until they expire (``SESSION_COOKIE_AGE``) or the visitor asks again.
A verified browser's access ends either way: its grant row is deleted with the
recipient, and the grant cookie is checked against it on every request.
"""

import logging
from importlib import import_module

from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from wagtail_securelink.core.addresses import normalise_email
from wagtail_securelink.models import (
    AccessEvent,
    AccessRequest,
    PageComment,
    Passkey,
    PrivateItem,
    Recipient,
)

__all__ = ["erase_address", "end_sessions"]

_PREFIX = "wagtail_securelink."
# A visitor's slots: a code asked for, a passkey offered or being saved.
_VISITOR = (_PREFIX + "pending.", _PREFIX + "passkey_")
SESSION_BATCH = 500

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
        # So do their comments on page previews.
        PageComment.objects.filter(email=address).delete()
        # Their passkeys name the address and would let them in again.
        passkeys = Passkey.objects.filter(email=address).delete()[0]
        Recipient.objects.filter(pk__in=recipients).delete()
    sessions = end_sessions(address)
    logger.info(
        "Erased the data of one address: %s recipients, %s events, %s sessions",
        len(recipients),
        events,
        "unsearchable" if sessions is None else sessions,
    )
    return {
        "address": address,
        "recipients": len(recipients),
        "events": events,
        "sessions": sessions,
        "passkeys": passkeys,
    }


def _carries(value, address: str) -> bool:
    if isinstance(value, str):
        return value.lower() == address
    if isinstance(value, dict):
        return any(_carries(item, address) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_carries(item, address) for item in value)
    return False


def end_sessions(address: str, *, batch: int = SESSION_BATCH) -> int | None:
    """End or clean the unexpired sessions that carry ``address`` (normalised).

    Returns how many sessions were deleted or cleaned, or ``None`` when the session
    backend cannot be searched (cache-only, signed cookies, a custom store).
    """
    engine = import_module(django_settings.SESSION_ENGINE)
    store_class = engine.SessionStore
    if not issubclass(store_class, DatabaseSessionStore):
        return None
    model = store_class.get_model_class()
    decoder = store_class()
    now = timezone.now()
    changed = 0
    last = ""
    while True:
        # Keyset pages: each query reads at most ``batch`` rows, whatever the table's size.
        rows = list(
            model.objects.filter(expire_date__gt=now, session_key__gt=last)
            .order_by("session_key")
            .values_list("session_key", "session_data")[:batch]
        )
        if not rows:
            return changed
        last = rows[-1][0]
        for key, data in rows:
            decoded = decoder.decode(data)
            ours = [
                name
                for name, value in decoded.items()
                if name.startswith(_PREFIX) and _carries(value, address)
            ]
            if not ours:
                continue
            store = store_class(session_key=key)
            if any(name.startswith(_VISITOR) for name in ours):
                # A visitor's browser: end the session (the cache too, for cached_db).
                store.delete()
            else:
                # An admin's session (a share's report): keep them signed in.
                for name in ours:
                    store.pop(name, None)
                store.save(must_create=False)
            changed += 1
