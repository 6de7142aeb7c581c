"""A visitor asks for a code (SPEC §3): the address is kept in this browser's session,
and everything that depends on the address happens after the response (S7).

The code is bound to this session (S3); ``verification`` checks what the visitor types.
"""

import datetime
import logging
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from wagtail_securelink.audit.events import record_event
from wagtail_securelink.choices import EventType
from wagtail_securelink.conf import settings
from wagtail_securelink.core import keys, languages
from wagtail_securelink.core.addresses import normalise_email
from wagtail_securelink.mail.delivery import enqueue_off_request
from wagtail_securelink.models import ShareLink, VerificationCode
from wagtail_securelink.models.policy import current_policy
from wagtail_securelink.verification import address_state, codes
from wagtail_securelink.verification.access import find_recipient
from wagtail_securelink.verification.emails import send_code_email, send_sign_in_email

__all__ = ["request_code", "pending_email", "session_slot", "session_hashes"]

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
    request.session[session_slot(link)] = {
        "email": email,
        "fails": 0,
        "at": now.timestamp(),
    }
    request.session.save()  # the code is bound to this session's key (S3)
    session_hash = session_hashes(request.session.session_key)[0]

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
