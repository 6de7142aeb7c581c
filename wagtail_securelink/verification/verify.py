"""Verification (SPEC §3): the code a visitor types, and the password of an ``anyone``
link. A success opens a grant (``access.open_grant``).

Asking for a code is ``code_requests``; emailing it, ``code_emails``. Called by thin
views in ``views/visitor.py`` and by tests, through ``services``.
"""

import logging
from dataclasses import dataclass

from django.contrib.auth.hashers import check_password as check_hash
from django.db.models import F
from django.utils import timezone

from wagtail_securelink.audit.events import record_event
from wagtail_securelink.choices import Audience, EventType
from wagtail_securelink.core import languages
from wagtail_securelink.models import Grant, Recipient, ShareLink, VerificationCode
from wagtail_securelink.models.policy import current_policy
from wagtail_securelink.verification import address_state, codes, passkeys
from wagtail_securelink.verification import requests as code_requests
from wagtail_securelink.verification.access import find_recipient, open_grant

logger = logging.getLogger(__name__)

__all__ = ["verify_code", "check_password", "VerifyOutcome"]


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
    request.session[code_requests.session_slot(link)] = state
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
    state = request.session.get(code_requests.session_slot(link))
    if not state or not request.session.session_key:
        return VerifyOutcome(ok=False, no_pending=True)
    submitted = codes.clean_input(submitted)
    if not codes.is_well_formed(submitted, policy.code_length):
        return VerifyOutcome(ok=False, malformed=True, tries_left=-1)
    now = timezone.now()
    email = state.get("email", "")
    session_hashes = code_requests.session_hashes(request.session.session_key)
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
        languages.remember_visitor_language(
            recipient, languages.visitor_language(request)
        )
        del request.session[code_requests.session_slot(link)]
        request.session.cycle_key()  # no session fixation across verification (S9)
        passkeys.note_code_proof(request, link, recipient.email, now)
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
            # An operator should hear of it (a guessing attempt, or a person stuck):
            # ids only, the address stays in the access events.
            logger.warning(
                "Recipient %s of link %s locked out after %s wrong codes",
                recipient.pk,
                link.pk,
                failures,
            )


def check_password(link: ShareLink, request, raw: str) -> VerifyOutcome:
    """Verify an ``anyone`` link's password; a right one opens a grant as a code does."""
    if link.audience != Audience.ANYONE or not link.password:
        return VerifyOutcome(ok=False, no_pending=True)
    if not raw or len(raw) > 4096 or not check_hash(raw, link.password):
        record_event(EventType.PASSWORD_FAILED, link=link, request=request)
        return VerifyOutcome(ok=False)
    request.session.cycle_key()
    grant, cookie_value = open_grant(link, request)
    return VerifyOutcome(ok=True, grant=grant, cookie_value=cookie_value)
