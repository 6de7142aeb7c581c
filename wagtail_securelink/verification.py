"""Verification (SPEC §3): the code a visitor asks for, the code they type, and the
password of an ``anyone`` link. A success opens a grant (``access.open_grant``).

Called by thin views in ``views/visitor.py`` and by tests, through ``services``.
"""

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import address_state, codes, keys, languages, signals
from .access import find_recipient, open_grant
from .addresses import normalise_email
from .choices import Audience, EventType
from .conf import settings
from .emails import get_emails
from .events import record_event
from .models import Grant, Recipient, ShareLink, VerificationCode
from .policy import current_policy
from .tasks import enqueue_off_request, send_code_email, send_sign_in_email
from .tokens import link_url

logger = logging.getLogger(__name__)

__all__ = [
    "request_code",
    "deliver_code",
    "deliver_sign_in_reminder",
    "verify_code",
    "check_password",
    "VerifyOutcome",
    "pending_email",
]


# -- the pending verification, kept in the session of the browser that asked -------------


def _session_slot(link) -> str:
    return f"wagtail_securelink.pending.{link.pk}"


_SESSION_SALT = "wagtail_securelink.session"


def _session_hashes(session_key: str) -> list[str]:
    """The session a code is bound to, keyed under each secret key (current first): a
    code bound before a ``SECRET_KEY`` rotation is still found after it."""
    return keys.digests(_SESSION_SALT, session_key)


def pending_email(request, link) -> str:
    state = (
        request.session.get(_session_slot(link))
        if hasattr(request, "session")
        else None
    )
    return (state or {}).get("email", "")


def _account_holder(email: str):
    """An active user whose address is ``email``, compared in canonical form in Python.

    Only where the site declares account addresses verified (S17): otherwise a user who
    set a recipient's address on their own account would divert that recipient's codes
    into "sign in" reminders, and lock them out.
    """
    if not settings.ACCOUNT_EMAILS_VERIFIED:
        return None
    User = get_user_model()
    field = User.get_email_field_name()
    for user in User._default_manager.filter(
        **{f"{field}__iexact": email, "is_active": True}
    ):
        try:
            if normalise_email(getattr(user, field)) == email:
                return user
        except ValidationError:  # a malformed stored address simply does not match
            continue
    return None


def request_code(link: ShareLink, email: str, request) -> Callable[[], None]:
    """Remember the address in this browser's session; return the work that follows.

    Everything that depends on *which* address was typed (is it a recipient, locked,
    in its cooldown, over its hourly cap, an account holder?) happens in the returned
    callable, which the view runs after the response has been sent. The request itself
    does the same work for every address, so neither the page nor its timing tells
    listed from unlisted addresses (S7). ``email`` must already be normalised.
    """
    policy = current_policy(request)
    now = timezone.now()
    request.session[_session_slot(link)] = {
        "email": email,
        "fails": 0,
        "at": now.timestamp(),
    }
    request.session.save()  # the code is bound to this session's key (S3)
    session_hash = _session_hashes(request.session.session_key)[0]

    def work():
        try:
            _prepare_code(link, email, request, policy, session_hash, now)
        except Exception:
            # The visitor already has their (generic) answer; never let this escape into
            # the WSGI server's close(). The code is simply not sent.
            logger.exception("Preparing a verification code failed")

    return work


def _prepare_code(link, email, request, policy, session_hash, now) -> None:
    # The counters first, by the same rules for every address (S7): only the email
    # below depends on whether the address is listed.
    issued = address_state.issue(link, email, session_hash, policy, now)
    recipient = find_recipient(link, email, policy)
    if recipient is None:
        record_event(
            EventType.UNLISTED_ADDRESS, link=link, email=email, request=request
        )
        return
    # The visitor's browser speaks for a recipient whose language nobody chose, so
    # that this code email, and every later one, is in it (languages).
    languages.remember_visitor_language(recipient, request)
    # Why no new code goes out, for the editor's activity report only: the visitor's
    # page says the same whatever happened (S7).
    not_sent = "locked" if recipient.is_locked else issued.reason
    record_event(
        EventType.CODE_REQUESTED,
        link=link,
        recipient=recipient,
        request=request,
        detail={"not_sent": not_sent} if not_sent else None,
    )
    if not_sent:
        return
    if _account_holder(email) is not None:
        enqueue_off_request(send_sign_in_email, recipient.pk)
        return
    nonce = codes.new_nonce()
    code = VerificationCode.objects.create(
        recipient=recipient,
        nonce=nonce,
        digits=policy.code_length,
        code_hash=codes.hash_code(nonce, codes.derive_code(nonce, policy.code_length)),
        session_hash=session_hash,
        expires_at=now + datetime.timedelta(minutes=policy.code_lifetime_minutes),
        max_attempts=policy.code_max_attempts,
    )
    enqueue_off_request(send_code_email, code.pk)


def deliver_sign_in_reminder(recipient_id: int) -> str:
    """Tell a recipient who has an account on the site to sign in (runs in a task)."""
    from django.urls import reverse

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
    with transaction.atomic():
        VerificationCode.objects.filter(pk=code.pk).update(sent_at=now)
        VerificationCode.objects.filter(
            recipient=recipient, used_at__isnull=True, invalidated_at__isnull=True
        ).exclude(pk=code.pk).update(invalidated_at=now)
        Recipient.objects.filter(pk=recipient.pk).update(last_code_sent_at=now)
        record_event(EventType.CODE_SENT, link=link, recipient=recipient)
    signals.code_sent.send(sender=ShareLink, link=link, recipient=recipient)
    return "sent"


class _UnknownSecretKey(Exception):
    """The code row was written under none of this process's SECRET_KEY/FALLBACKS."""


@dataclass
class VerifyOutcome:
    ok: bool
    tries_left: int = 0
    dead: bool = False  # the code can no longer be used: ask for a new one
    malformed: bool = False
    no_pending: bool = False
    grant: Grant | None = None
    cookie_value: str = ""


def _no_code_here(request, link, state, policy) -> VerifyOutcome:
    """This browser asked for no code that is still counted: a wrong answer counted in
    its session alone. It depends on nothing but the session, so it is the same for
    every address (S7)."""
    state["fails"] = state.get("fails", 0) + 1
    request.session[_session_slot(link)] = state
    expired = (
        timezone.now().timestamp()
        > state.get("at", 0) + policy.code_lifetime_minutes * 60
    )
    left = max(0, policy.code_max_attempts - state["fails"])
    return VerifyOutcome(ok=False, tries_left=left, dead=expired or left == 0)


def verify_code(link: ShareLink, request, submitted: str) -> VerifyOutcome:
    """Check a typed code. What the visitor is told (tries left, dead) comes from the
    address's counters (``address_state``) whatever the address; a real recipient's
    code only decides whether the answer is right."""
    policy = current_policy(request)
    state = request.session.get(_session_slot(link))
    if not state or not request.session.session_key:
        return VerifyOutcome(ok=False, no_pending=True)
    submitted = codes.clean_input(submitted)
    if not codes.is_well_formed(submitted, policy.code_length):
        return VerifyOutcome(ok=False, malformed=True, tries_left=-1)
    now = timezone.now()
    email = state.get("email", "")
    session_hashes = _session_hashes(request.session.session_key)
    counted = address_state.live_code(link, email, session_hashes)
    recipient = find_recipient(link, email, policy)
    if counted is None:
        record_event(
            EventType.CODE_FAILED,
            link=link,
            recipient=recipient,
            email=email,
            request=request,
            detail={"reason": "no_code"},
        )
        return _no_code_here(request, link, state, policy)
    if address_state.is_dead(counted, now):
        return VerifyOutcome(ok=False, dead=True)
    code = None
    if recipient is not None and not recipient.is_locked:
        code = (
            VerificationCode.objects.filter(
                recipient=recipient,
                session_hash__in=session_hashes,
                sent_at__isnull=False,
                used_at__isnull=True,
                invalidated_at__isnull=True,
                expires_at__gt=now,
            )
            .order_by("-created_at", "-pk")
            .first()
        )
    if code is not None and codes.matches(code.nonce, code.code_hash, submitted):
        # Conditional UPDATE: of any number of simultaneous right answers, in any number
        # of processes, exactly one sees a changed row (S3).
        won = VerificationCode.objects.filter(
            pk=code.pk,
            used_at__isnull=True,
            invalidated_at__isnull=True,
            attempts__lt=F("max_attempts"),
            expires_at__gt=now,
        ).update(used_at=now)
        if won != 1:
            return VerifyOutcome(ok=False, dead=True)
        Recipient.objects.filter(pk=recipient.pk).update(failure_count=0)
        languages.remember_visitor_language(recipient, request)
        del request.session[_session_slot(link)]
        request.session.cycle_key()  # no session fixation across verification (S9)
        grant, cookie_value = open_grant(link, request, recipient=recipient)
        return VerifyOutcome(ok=True, grant=grant, cookie_value=cookie_value)
    if code is not None:
        _wrong_code(link, request, code, recipient, policy)
    else:
        record_event(
            EventType.CODE_FAILED,
            link=link,
            recipient=recipient,
            email=email,
            request=request,
            detail={"reason": "no_code"},
        )
    left = address_state.spend_try(counted)
    return VerifyOutcome(ok=False, tries_left=left, dead=left == 0)


def _wrong_code(link, request, code, recipient, policy) -> None:
    """Count a wrong try on a real code and on its recipient's consecutive failures (S3, S4)."""
    VerificationCode.objects.filter(pk=code.pk, attempts__lt=F("max_attempts")).update(
        attempts=F("attempts") + 1
    )
    Recipient.objects.filter(pk=recipient.pk).update(
        failure_count=F("failure_count") + 1
    )
    attempts = VerificationCode.objects.values_list("attempts", flat=True).get(
        pk=code.pk
    )
    failures = Recipient.objects.values_list("failure_count", flat=True).get(
        pk=recipient.pk
    )
    record_event(
        EventType.CODE_FAILED,
        link=link,
        recipient=recipient,
        request=request,
        detail={"attempt": attempts},
    )
    if failures >= policy.lockout_threshold:
        locked = Recipient.objects.filter(
            pk=recipient.pk, locked_at__isnull=True
        ).update(locked_at=timezone.now())
        if locked:
            record_event(
                EventType.CODE_LOCKED, link=link, recipient=recipient, request=request
            )


def check_password(link: ShareLink, request, raw: str) -> VerifyOutcome:
    """Verify an ``anyone`` link's password; a right one opens a grant as a code does."""
    from django.contrib.auth.hashers import check_password as check_hash

    if link.audience != Audience.ANYONE or not link.password:
        return VerifyOutcome(ok=False, no_pending=True)
    if not raw or len(raw) > 4096 or not check_hash(raw, link.password):
        record_event(EventType.PASSWORD_FAILED, link=link, request=request)
        return VerifyOutcome(ok=False)
    request.session.cycle_key()
    grant, cookie_value = open_grant(link, request)
    return VerifyOutcome(ok=True, grant=grant, cookie_value=cookie_value)
