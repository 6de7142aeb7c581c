"""Retention (SPEC §6, S15): what ``securelink_purge`` deletes, and links that expire unused.

Besides codes, grants and events, the purge deletes rate-limit windows that have ended
(``counters``): they hold no record, only a count that no longer limits anything.

Access events are hash-chained (``chain``). Purging removes the *oldest* part of the
chain only — a prefix in sealing order — and records the hash of the newest removed event
as the chain's anchor, so ``chain.verify_chain()`` still passes and any other gap is
still detected. The newest event is never purged: the chain head points at it.
"""

import datetime
import time
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from wagtail.log_actions import log

from wagtail_securelink.audit.chain import seal_chain
from wagtail_securelink.audit.events import record_event
from wagtail_securelink.choices import EventType
from wagtail_securelink.models import (
    AccessEvent,
    AuditChainHead,
    Grant,
    ShareLink,
    VerificationCode,
)
from wagtail_securelink.ratelimit import counters
from wagtail_securelink.tasks import background
from wagtail_securelink.verification import address_state

__all__ = [
    "PurgeReport",
    "purge_codes",
    "purge_grants",
    "purge_events",
    "expire_unused_links",
    "purge",
]


@dataclass
class PurgeReport:
    codes: int = 0
    grants: int = 0
    events: int = 0
    expired_links: int = 0
    rate_counters: int = 0
    # How long deleting the events took (``events_per_second``).
    events_seconds: float = 0.0

    @property
    def events_per_second(self) -> float:
        return self.events / self.events_seconds if self.events_seconds else 0.0


def purge_codes(now=None) -> int:
    """Delete codes that can no longer be used: expired, used or invalidated.

    The hourly cap and the cooldown are counted in ``AddressState`` rows, which go only
    once nothing in them counts any more: purging, however often, loosens no limit.
    """
    now = now or timezone.now()
    address_state.purge(now)
    background.run_leftovers(now)  # tasks a stopped process did not get to
    dead = VerificationCode.objects.filter(
        Q(expires_at__lte=now)
        | Q(used_at__isnull=False)
        | Q(invalidated_at__isnull=False)
    )
    return dead.delete()[0]


def purge_grants(cutoff) -> int:
    """Delete grants that ended before ``cutoff`` (live grants are never touched)."""
    return Grant.objects.filter(ended_at__lt=cutoff).delete()[0]


# Events deleted per transaction: each batch holds the chain head's lock briefly, so
# sealing goes on between batches, and no statement grows with the table.
PURGE_BATCH = 10_000


def purge_events(cutoff, batch_size: int = PURGE_BATCH) -> int:
    """Delete the events older than ``cutoff`` that form the oldest part of the chain.

    Seals first, so that only sealed events, a prefix in sealing order, are removed.
    Deletes in batches of at most ``batch_size`` consecutive sequence numbers, each in
    its own transaction that also moves the chain's anchor to the newest event it
    removed: stopped between two batches, the chain still verifies.
    """
    seal_chain()
    count = 0
    while True:
        deleted, done = _purge_batch(cutoff, batch_size)
        count += deleted
        if done:
            return count


def _purge_batch(cutoff, batch_size: int) -> tuple[int, bool]:
    """One batch of ``purge_events``: ``(events deleted, nothing more to purge)``."""
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None or not head.last_seq:
            return 0, True
        lowest = (
            AccessEvent.objects.filter(seq__isnull=False)
            .order_by("seq")
            .values_list("seq", flat=True)
            .first()
        )
        if lowest is None:
            return 0, True
        window = AccessEvent.objects.filter(
            seq__gte=lowest, seq__lte=min(lowest + batch_size - 1, head.last_seq)
        )
        # The first event that must stay: the oldest one not past retention, or the
        # newest sealed event of all (the head points at it). Everything before it goes.
        keep = (
            window.filter(Q(created_at__gte=cutoff) | Q(seq=head.last_seq))
            .order_by("seq")
            .values_list("seq", flat=True)
            .first()
        )
        doomed = window.filter(seq__lt=keep) if keep is not None else window
        newest_purged = doomed.order_by("-seq").values_list("hash", flat=True).first()
        if newest_purged is None:
            return 0, True
        deleted = doomed.delete()[0]
        head.anchor_hash = newest_purged
        head.save(update_fields=["anchor_hash"])
    return deleted, keep is not None


def expire_unused_links(days: int, now=None) -> int:
    """Expire active links not opened for ``days`` days (created that long ago at least)."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=days)
    stale = (
        ShareLink.objects.active(now)
        .filter(created_at__lt=cutoff)
        .filter(Q(last_opened_at__isnull=True) | Q(last_opened_at__lt=cutoff))
    )
    count = 0
    for link in stale:
        with transaction.atomic():
            ShareLink.objects.filter(pk=link.pk).update(expires_at=now, updated_at=now)
            link.expires_at = now
            record_event(
                EventType.LINK_CHANGED,
                link=link,
                detail={"field": "expires_at", "reason": "unused", "days": days},
            )
            log(
                instance=link,
                action="wagtail_securelink.change",
                data={"field": "expires_at", "reason": "unused"},
            )
        count += 1
    return count


def purge(
    *, retention_days: int, expire_unused_days: int | None = None, now=None
) -> PurgeReport:
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=retention_days)
    report = PurgeReport()
    if expire_unused_days:
        report.expired_links = expire_unused_links(expire_unused_days, now)
    report.codes = purge_codes(now)
    report.grants = purge_grants(cutoff)
    started = time.monotonic()
    report.events = purge_events(cutoff)
    report.events_seconds = time.monotonic() - started
    report.rate_counters = counters.purge_expired()
    return report
