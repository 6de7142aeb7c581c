"""Access events: recording and the tamper-evident hash chain (S15).

Each event's ``hash`` is an HMAC (under ``SECRET_KEY``) over its non-personal fields,
a keyed digest of its personal fields and the previous event's hash. Editing a row,
deleting one, or re-ordering them breaks the chain, and without the secret key nobody
can forge a consistent replacement. Appends are serialised by locking the single
``AuditChainHead`` row (``select_for_update``; on SQLite the write lock does it).
"""

import json
import logging
from dataclasses import dataclass

from django.conf import settings as django_settings
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from .choices import IPStorage
from .clients import anonymise_ip, client_ip, user_agent
from .models import AccessEvent, AuditChainHead

__all__ = [
    "record_event",
    "verify_chain",
    "ChainProblem",
    "event_hash",
    "personal_digest",
]

logger = logging.getLogger(__name__)

_CHAIN_SALT = "wagtail_securelink.audit.chain"
_PERSONAL_SALT = "wagtail_securelink.audit.personal"


def personal_digest(email: str, ip: str, agent: str, secret=None) -> str:
    value = json.dumps([email, ip, agent])
    return salted_hmac(
        _PERSONAL_SALT, value, secret=secret, algorithm="sha256"
    ).hexdigest()


def _canonical(event: AccessEvent) -> str:
    return json.dumps(
        [
            event.created_at.isoformat(),
            event.event,
            event.link_id,
            event.recipient_id,
            event.user_id,
            event.detail,
            event.personal_digest,
            event.prev_hash,
        ],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )


def event_hash(event: AccessEvent, secret=None) -> str:
    return salted_hmac(
        _CHAIN_SALT, _canonical(event), secret=secret, algorithm="sha256"
    ).hexdigest()


def _stored_ip(request, policy) -> str:
    if request is None or policy.store_ip_addresses == IPStorage.NONE:
        return ""
    ip = client_ip(request)
    return ip if policy.store_ip_addresses == IPStorage.FULL else anonymise_ip(ip)


def record_event(
    event: str,
    *,
    link=None,
    recipient=None,
    user=None,
    email: str = "",
    request=None,
    detail: dict | None = None,
) -> AccessEvent:
    """Append one event to the audit trail.

    ``detail`` must never hold a code, a token or a password: callers pass counts,
    ids and reasons only.
    A request may carry ``securelink_event_detail`` (the API v3 token's id and name),
    merged into the detail of every event recorded for it.
    """
    from .services import get_policy

    policy = get_policy(request)
    if (
        user is None
        and request is not None
        and getattr(request, "user", None) is not None
    ):
        if request.user.is_authenticated:
            user = request.user
    if recipient is not None and not email:
        email = recipient.email
    ip = _stored_ip(request, policy)
    agent = user_agent(request) if request is not None else ""
    row = AccessEvent(
        event=event,
        link=link,
        recipient=recipient,
        user=user,
        email=email,
        ip_address=ip,
        user_agent=agent,
        detail={**getattr(request, "securelink_event_detail", {}), **(detail or {})},
        personal_digest=personal_digest(email, ip, agent),
    )
    # This runs on every download: three lean statements (lock and read the head, insert,
    # move the head) rather than model saves, which cost as much again in the ORM.
    with transaction.atomic():
        heads = AuditChainHead.objects.select_for_update().filter(pk=1)
        last_hash = heads.values_list("last_hash", flat=True).first()
        if last_hash is None:
            AuditChainHead.objects.get_or_create(pk=1)
            last_hash = heads.values_list("last_hash", flat=True).get()
        row.prev_hash = last_hash
        row.hash = event_hash(row)
        row.save(force_insert=True)  # post_save feeds the sharer notices
        heads.update(last_hash=row.hash, last_event_id=row.pk)
    logger.debug("securelink event %s link=%s", event, getattr(link, "pk", None))
    return row


@dataclass
class ChainProblem:
    event_id: int | None
    reason: str


def _secrets():
    return [
        django_settings.SECRET_KEY,
        *getattr(django_settings, "SECRET_KEY_FALLBACKS", []),
    ]


def _hash_ok(event: AccessEvent) -> bool:
    return any(
        constant_time_compare(event_hash(event, secret=s), event.hash)
        for s in _secrets()
    )


def verify_chain(chunk_size: int = 2000) -> ChainProblem | None:
    """Walk the whole chain in id order; return the first problem, or ``None``."""
    head = AuditChainHead.objects.filter(pk=1).first()
    expected_prev = head.anchor_hash if head else ""
    last = None
    qs = AccessEvent.objects.order_by("pk")
    for event in qs.iterator(chunk_size=chunk_size):
        if not constant_time_compare(event.prev_hash, expected_prev):
            return ChainProblem(event.pk, "the event before it was deleted or changed")
        if not _hash_ok(event):
            return ChainProblem(event.pk, "this event was changed")
        expected_prev = event.hash
        last = event
    if head and head.last_event_id is not None:
        if last is None or last.pk != head.last_event_id or last.hash != head.last_hash:
            return ChainProblem(head.last_event_id, "the newest events were deleted")
    return None
