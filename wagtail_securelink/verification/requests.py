"""A visitor asks for a code (SPEC §3): the address is kept in this browser's session,
and everything that depends on the address happens after the response (S7).

The code is bound to this session (S3); ``verification`` checks what the visitor types.
"""

import datetime
import logging

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks import task

from wagtail_securelink.audit.events import Visit, record_event
from wagtail_securelink.choices import EventType
from wagtail_securelink.conf import settings
from wagtail_securelink.core import keys, languages
from wagtail_securelink.core.addresses import normalise_email
from wagtail_securelink.models import ShareLink, VerificationCode
from wagtail_securelink.models.policy import current_policy
from wagtail_securelink.tasks.background import later
from wagtail_securelink.verification import address_state, codes
from wagtail_securelink.verification.access import find_recipient
from wagtail_securelink.verification.emails import send_code_email, send_sign_in_email

__all__ = [
    "request_code",
    "prepare_code_task",
    "pending_email",
    "session_slot",
    "session_hashes",
]

logger = logging.getLogger(__name__)


# -- the pending verification, kept in the session of the browser that asked -------------


def session_slot(link) -> str:
    return f"wagtail_securelink.pending.{link.pk}"


_SESSION_SALT = "wagtail_securelink.session"


def session_hashes(session_key: str) -> list[str]:
    """The session a code is bound to, keyed under each secret key (current first): a
    code bound before a ``SECRET_KEY`` rotation is still found after it."""
    return keys.digests(_SESSION_SALT, session_key)


def pending_email(request, link) -> str:
    state = (
        request.session.get(session_slot(link)) if hasattr(request, "session") else None
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


def request_code(link: ShareLink, email: str, request) -> None:
    """Remember the address in this browser's session; queue the work that follows.

    Everything that depends on *which* address was typed (is it a recipient, locked,
    in its cooldown, over its hourly cap, an account holder?) happens in
    ``prepare_code_task``, which runs after the response has been sent
    (``tasks.background.later``). The request itself does the same work for every
    address, so neither the page nor its timing tells listed from unlisted addresses
    (S7). ``email`` must already be normalised.
    """
    now = timezone.now()
    request.session[session_slot(link)] = {
        "email": email,
        "fails": 0,
        "at": now.timestamp(),
    }
    request.session.save()  # the code is bound to this session's key (S3)
    session_hash = session_hashes(request.session.session_key)[0]
    visit = Visit.of(request, language=True)
    later(
        prepare_code_task,
        link.pk,
        email,
        session_hash,
        now.isoformat(),
        visit.as_dict(),
    )


@task()
def prepare_code_task(
    link_id: int, email: str, session_hash: str, now: str, visit: dict
) -> None:
    """The part of a code request that depends on the address (``request_code``)."""
    link = ShareLink.objects.filter(pk=link_id).first()
    if link is None:
        return
    try:
        _prepare_code(
            link,
            email,
            Visit(**visit),
            current_policy(link=link),
            session_hash,
            datetime.datetime.fromisoformat(now),
        )
    except Exception:
        # The visitor already has their (generic) answer: the code is simply not sent.
        logger.exception("Preparing a verification code failed")


def _prepare_code(link, email, visit, policy, session_hash, now) -> None:
    # The counters first, by the same rules for every address (S7): only the email
    # below depends on whether the address is listed.
    issued = address_state.issue(link, email, session_hash, policy, now)
    recipient = find_recipient(link, email, policy)
    if recipient is None:
        record_event(EventType.UNLISTED_ADDRESS, link=link, email=email, visit=visit)
        return
    # The visitor's browser speaks for a recipient whose language nobody chose, so
    # that this code email, and every later one, is in it (languages).
    languages.remember_visitor_language(recipient, visit.language)
    # Why no new code goes out, for the editor's activity report only: the visitor's
    # page says the same whatever happened (S7).
    not_sent = "locked" if recipient.is_locked else issued.reason
    record_event(
        EventType.CODE_REQUESTED,
        link=link,
        recipient=recipient,
        visit=visit,
        detail={"not_sent": not_sent} if not_sent else None,
    )
    if not_sent:
        return
    if _account_holder(email) is not None:
        later(send_sign_in_email, recipient.pk)
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
    later(send_code_email, code.pk)
