"""The per-(link, typed address) counters behind every verification page (S5, S7).

A code request advances an ``AddressState`` row by the same rules whatever address was
typed: the resend cooldown, the hourly cap, and a *virtual code* bound to the browser
that asked, with its lifetime and its tries. The tries left and "this code can no
longer be used" that a visitor sees come from this row only; a real recipient's real
code (``VerificationCode``) decides nothing but whether the right code was typed. So
listed, unlisted, locked, account-holding and capped addresses walk through the same
pages after any sequence of requests, and the counters do not depend on code rows
that ``securelink_purge`` deletes.

The verification modules advance it; ``securelink_purge`` deletes rows past their
windows.
"""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from wagtail_securelink.conf import settings
from wagtail_securelink.core import keys
from wagtail_securelink.models import AddressState

__all__ = [
    "Issue",
    "digest",
    "digests",
    "issue",
    "release",
    "live_code",
    "is_dead",
    "spend_try",
    "purge",
]

HOUR = datetime.timedelta(hours=1)
# Compare-and-swap retries before giving up (and issuing nothing) under contention.
_RETRIES = 5


def digests(link, email: str) -> list[str]:
    """Keyed digests of a normalised address on one link, under each secret key
    (current first): no clear address is stored, and a row written before a
    ``SECRET_KEY`` rotation keeps counting after it."""
    return keys.digests("wagtail_securelink.address_state", f"{link.pk}:{email}")


def digest(link, email: str) -> str:
    return digests(link, email)[0]


def _existing(link, email: str):
    return (
        AddressState.objects.filter(link=link, digest__in=digests(link, email))
        .order_by("-updated_at", "-pk")
        .first()
    )


def _row(link, email: str) -> AddressState:
    found = _existing(link, email)
    if found is not None:
        return found
    key = digest(link, email)
    try:
        with transaction.atomic():
            return AddressState.objects.get_or_create(link=link, digest=key)[0]
    except IntegrityError:  # created by a concurrent request in between
        return AddressState.objects.get(link=link, digest=key)


@dataclass(frozen=True)
class Issue:
    """The answer of ``issue``: true when a new code may go out; otherwise ``reason``
    says why not ("cooldown", "hourly_cap" or "busy"), for the editor's report only."""

    reason: str = ""

    def __bool__(self) -> bool:
        return not self.reason


def issue(link, email: str, session_hash: str, policy, now) -> Issue:
    """Count a code request. True when the cooldown and the hourly cap allow a new code,
    which is then bound to ``session_hash``; False leaves the current one as it is."""
    cooldown = datetime.timedelta(seconds=policy.resend_cooldown_seconds)
    for _ in range(_RETRIES):
        state = _row(link, email)
        if state.last_sent_at and now - state.last_sent_at < cooldown:
            return Issue("cooldown")
        recent = [t for t in state.sends if t > (now - HOUR).timestamp()]
        if len(recent) >= settings.RATE_SEND_PER_ADDRESS:
            return Issue("hourly_cap")
        swapped = AddressState.objects.filter(
            pk=state.pk, version=state.version
        ).update(
            version=F("version") + 1,
            sends=[*recent, now.timestamp()],
            last_sent_at=now,
            session_hash=session_hash,
            code_expires_at=now
            + datetime.timedelta(minutes=policy.code_lifetime_minutes),
            attempts=0,
            max_attempts=policy.code_max_attempts,
            updated_at=now,
        )
        if swapped:
            return Issue()
    return Issue("busy")


def release(link, email: str) -> None:
    """Uncount the newest send: its email could not be sent, so neither the hourly cap
    nor the cooldown is spent (S14)."""
    for _ in range(_RETRIES):
        state = _existing(link, email)
        if state is None or not state.sends:
            return
        sends = sorted(state.sends)[:-1]
        last = (
            datetime.datetime.fromtimestamp(sends[-1], tz=datetime.UTC)
            if sends
            else None
        )
        if AddressState.objects.filter(pk=state.pk, version=state.version).update(
            version=F("version") + 1,
            sends=sends,
            last_sent_at=last,
            updated_at=timezone.now(),
        ):
            return


def live_code(link, email: str, session_hashes: list[str]) -> AddressState | None:
    """The row when this browser asked last for a code for ``email``, else ``None``."""
    state = _existing(link, email)
    if state is not None and state.session_hash not in session_hashes:
        state = None
    if state is None or state.code_expires_at is None:
        return None
    return state


def is_dead(state: AddressState, now) -> bool:
    return state.code_expires_at <= now or state.attempts >= state.max_attempts


def spend_try(state: AddressState) -> int:
    """Count one wrong try on the virtual code; return the tries left."""
    AddressState.objects.filter(
        pk=state.pk,
        session_hash=state.session_hash,
        attempts__lt=F("max_attempts"),
    ).update(
        attempts=F("attempts") + 1,
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    attempts = AddressState.objects.values_list("attempts", flat=True).get(pk=state.pk)
    return max(0, state.max_attempts - attempts)


def purge(now) -> int:
    """Delete rows in which nothing counts any more: no send in the last hour, the
    cooldown (at most an hour) over and the virtual code (at most 30 minutes) dead."""
    return AddressState.objects.filter(updated_at__lt=now - 2 * HOUR).delete()[0]
