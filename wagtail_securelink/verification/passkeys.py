"""Passkeys (SPEC §2): after a code, an outsider may save a WebAuthn credential for
the address, and use it instead of the next codes on every link shared with it.

A passkey proves the browser holds a key saved by whoever read a code at that
address; it proves the mailbox no more than the code did, and no longer. So it stands
in for a code only while the address's last code (``Passkey.email_proved_at``, on any
link) is within *this* link's reverification period, and a grant it opens runs from
that proof, not from now (``Grant.proved_at``). Everything else a code would be held to
on this link is checked again: a recipient, not removed, not locked, not past their
own end of access, a domain still allowed, a link the policy still allows.

fido2 checks the client data, origin, challenge, RP id hash, the user-present and
user-verified flags and the signature; this module keeps the challenge single use (it
is popped from the session before anything is checked) and the sign counter.

Every refusal, whatever its reason, is the same ``PasskeyOutcome(ok=False)``: the page
cannot tell an unknown credential from a refused address (S7). The reason goes to the
audit trail and the DEBUG log only.
"""

import datetime
import ipaddress
import logging
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone
from fido2 import cbor
from fido2.cose import CoseKey
from fido2.server import Fido2Server
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import (
    Aaguid,
    AttestedCredentialData,
    AuthenticationResponse,
    PublicKeyCredentialRpEntity,
    PublicKeyCredentialUserEntity,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from wagtail_securelink.audit.events import record_event
from wagtail_securelink.choices import Audience, EventType, PasskeyPolicy
from wagtail_securelink.conf import settings
from wagtail_securelink.core import keys
from wagtail_securelink.models import Grant, Passkey
from wagtail_securelink.models.policy import current_policy
from wagtail_securelink.policy.enforcement import stop_reason
from wagtail_securelink.verification.access import (
    find_recipient,
    get_access,
    open_grant,
    reverification_days,
)

logger = logging.getLogger(__name__)

__all__ = [
    "PasskeyOutcome",
    "offered",
    "sign_in_offered",
    "note_code_proof",
    "save_offered",
    "begin_registration",
    "finish_registration",
    "begin_authentication",
    "finish_authentication",
    "passkeys_of",
    "remove_passkeys",
]

# How long after a code the page may still offer to save a passkey.
OFFER_SECONDS = 15 * 60
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_OFFER = "wagtail_securelink.passkey_offer"
_REGISTER = "wagtail_securelink.passkey_register"
_AUTHENTICATE = "wagtail_securelink.passkey_authenticate"
# Transports are hints the browser gives back on the next sign-in; kept short.
_TRANSPORTS = {"ble", "hybrid", "internal", "nfc", "smart-card", "usb"}


@dataclass
class PasskeyOutcome:
    ok: bool
    grant: Grant | None = None
    cookie_value: str = ""


def offered(policy) -> bool:
    return policy.passkeys != PasskeyPolicy.OFF and _rp_id_is_a_domain()


def _rp_id_is_a_domain() -> bool:
    """WebAuthn takes a domain for its RP id, never an IP address: on a site whose
    BASE_URL is ``http://127.0.0.1:8000`` every browser refuses both ceremonies, so
    the pages offer no passkey there (``http://localhost:8000`` works)."""
    host = urlsplit(settings.BASE_URL).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return bool(host)
    return False


def sign_in_offered(link, policy) -> bool:
    """Whether the verify page offers "Use a passkey" beside the email form: the same
    for every visitor of the link, so it says nothing about any address (S7)."""
    return link.audience == Audience.SPECIFIC and offered(policy)


def _origin() -> str:
    parts = urlsplit(settings.BASE_URL)
    return f"{parts.scheme}://{parts.netloc}"


def _server() -> Fido2Server:
    # The RP id is the configured base URL's host, never the Host header (S12), and
    # the origin must be that base URL's exactly: a sibling subdomain the RP id would
    # cover under WebAuthn's own rule is not this site.
    host = urlsplit(settings.BASE_URL).hostname or ""
    origin = _origin()
    return Fido2Server(
        PublicKeyCredentialRpEntity(id=host, name=host),
        verify_origin=lambda value: value == origin,
    )


def _state(state: dict) -> dict:
    """fido2's state, as the JSON session serialiser can keep it."""
    return {key: str(value) if value else value for key, value in state.items()}


def _user_id(email: str) -> bytes:
    # A keyed digest: the authenticator keeps the same user handle for the address (a
    # second passkey from the same device replaces the first), and learns no address
    # from it. Not looked up: the credential id is.
    return bytes.fromhex(keys.digests("wagtail_securelink.passkey_user", email)[0])


# -- after a code ------------------------------------------------------------------------


def note_code_proof(request, link, email: str, now) -> None:
    """A code for ``email`` was right: its passkeys count from now again, and this
    browser may save one for a while."""
    Passkey.objects.filter(email=email).update(email_proved_at=now)
    request.session[_OFFER] = {"email": email, "link": link.pk, "at": now.timestamp()}


def _offer(request, link) -> dict | None:
    offer = request.session.get(_OFFER)
    if not isinstance(offer, dict) or offer.get("link") != link.pk:
        return None
    if timezone.now().timestamp() > offer.get("at", 0) + OFFER_SECONDS:
        return None
    return offer


def save_offered(request, link, access=None) -> bool:
    """Whether the page after a code offers "Save a passkey" to this browser."""
    if not offered(current_policy(request)) or _offer(request, link) is None:
        return False
    access = access or get_access(link, request)
    return bool(
        access.ok
        and access.recipient is not None
        and access.recipient.email == _offer(request, link)["email"]
    )


def begin_registration(link, request) -> dict | None:
    """The options for ``navigator.credentials.create``, or ``None`` when this
    browser has not just proved the address with a code on this link."""
    if not save_offered(request, link):
        return None
    email = _offer(request, link)["email"]
    existing = Passkey.objects.filter(email=email).values_list(
        "credential_id", flat=True
    )
    options, state = _server().register_begin(
        PublicKeyCredentialUserEntity(
            id=_user_id(email), name=email, display_name=email
        ),
        credentials=[
            {"type": "public-key", "id": websafe_decode(cid)} for cid in existing
        ],
        resident_key_requirement=ResidentKeyRequirement.REQUIRED,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    request.session[_REGISTER] = {**_state(state), "link": link.pk, "email": email}
    return dict(options)


def finish_registration(link, request, data) -> Passkey | None:
    """Check the browser's answer to ``begin_registration`` and save the passkey."""
    state = request.session.pop(_REGISTER, None)
    offer = _offer(request, link)
    if (
        not isinstance(state, dict)
        or state.get("link") != link.pk
        or offer is None
        or offer["email"] != state.get("email")
        or not save_offered(request, link)
    ):
        return None
    try:
        auth_data = _server().register_complete(state, data)
    except Exception as exc:  # any malformed answer is a refusal
        logger.debug("Passkey registration refused: %s", exc)
        return None
    credential = auth_data.credential_data
    transports = data.get("response", {}).get("transports") or []
    if not isinstance(transports, list):
        transports = []
    try:
        with transaction.atomic():
            passkey = Passkey.objects.create(
                email=offer["email"],
                credential_id=websafe_encode(credential.credential_id),
                public_key=cbor.encode(dict(credential.public_key)),
                sign_count=auth_data.counter,
                transports=[t for t in transports if t in _TRANSPORTS],
                email_proved_at=datetime.datetime.fromtimestamp(
                    offer["at"], tz=datetime.UTC
                ),
            )
    except IntegrityError:  # that credential is saved already
        return None
    request.session.pop(_OFFER, None)
    record_event(
        EventType.PASSKEY_REGISTERED,
        link=link,
        recipient=get_access(link, request).recipient,
        request=request,
    )
    return passkey


# -- instead of a code -------------------------------------------------------------------


def begin_authentication(link, request) -> dict | None:
    """Options for ``navigator.credentials.get``: a discoverable credential (no
    ``allowCredentials``, so the page names no address and no credential), a fresh
    challenge kept in the session until the answer comes."""
    if not sign_in_offered(link, current_policy(request)):
        return None
    options, state = _server().authenticate_begin(
        user_verification=UserVerificationRequirement.REQUIRED
    )
    request.session[_AUTHENTICATE] = {**_state(state), "link": link.pk}
    return dict(options)


def _refused(link, request, reason: str, passkey=None, recipient=None):
    logger.debug("Passkey refused on link %s: %s", link.pk, reason)
    record_event(
        EventType.PASSKEY_FAILED,
        link=link,
        recipient=recipient,
        email=passkey.email if passkey else "",
        request=request,
        detail={"reason": reason},
    )
    return PasskeyOutcome(ok=False)


def _credential(passkey) -> AttestedCredentialData:
    return AttestedCredentialData.create(
        Aaguid.NONE,
        websafe_decode(passkey.credential_id),
        CoseKey.parse(cbor.decode(bytes(passkey.public_key))),
    )


def finish_authentication(link, request, data) -> PasskeyOutcome:
    """Check a passkey's answer and, when every rule a code would meet on this link
    holds, open the same grant a code opens."""
    state = request.session.pop(_AUTHENTICATE, None)  # single use, whatever follows
    if not isinstance(state, dict) or state.get("link") != link.pk:
        return _refused(link, request, "no_challenge")
    raw_id = data.get("rawId") or data.get("id") if isinstance(data, dict) else None
    passkey = (
        Passkey.objects.filter(credential_id=raw_id).first()
        # A credential id is base64url: anything else (a NUL, which PostgreSQL's text
        # refuses) is simply unknown.
        if isinstance(raw_id, str)
        and len(raw_id) <= 1400
        and _BASE64URL.fullmatch(raw_id)
        else None
    )
    if passkey is None:
        return _refused(link, request, "unknown_credential")
    try:
        _server().authenticate_complete(state, [_credential(passkey)], data)
        counter = AuthenticationResponse.from_dict(
            data
        ).response.authenticator_data.counter
    except Exception as exc:  # any malformed answer is a refusal
        logger.debug("Passkey answer refused by fido2: %s", exc)
        return _refused(link, request, "invalid", passkey)
    now = timezone.now()
    # An authenticator that keeps a counter must show it growing; one that does not
    # (0 both times, as synced passkeys do) has no counter to check.
    if (counter or passkey.sign_count) and counter <= passkey.sign_count:
        return _refused(link, request, "sign_count", passkey)
    # Spent even when a rule below refuses: the answer was the authenticator's.
    used = Passkey.objects.filter(pk=passkey.pk, sign_count=passkey.sign_count).update(
        sign_count=counter
    )
    if not used:  # a concurrent use of the same answer won
        return _refused(link, request, "sign_count", passkey)
    policy = current_policy(request)
    recipient = find_recipient(link, passkey.email, policy)
    if stop_reason(link, policy) or not offered(policy):
        return _refused(link, request, "policy", passkey, recipient)
    if recipient is None:
        return _refused(link, request, "not_a_recipient", passkey)
    if recipient.is_locked:
        return _refused(link, request, "locked", passkey, recipient)
    period = datetime.timedelta(days=reverification_days(link, policy))
    if passkey.email_proved_at + period <= now:
        return _refused(link, request, "reverification_due", passkey, recipient)
    Passkey.objects.filter(pk=passkey.pk).update(last_used_at=now)
    request.session.cycle_key()  # no session fixation across verification (S9)
    grant, cookie_value = open_grant(
        link, request, recipient=recipient, proved_at=passkey.email_proved_at
    )
    record_event(
        EventType.PASSKEY_USED, link=link, recipient=recipient, request=request
    )
    return PasskeyOutcome(ok=True, grant=grant, cookie_value=cookie_value)


# -- people ------------------------------------------------------------------------------


def passkeys_of(email: str):
    return Passkey.objects.filter(email=email).order_by("created_at", "pk")


def remove_passkeys(email: str, *, user=None, request=None) -> int:
    """Delete every passkey of an address; the next visit asks for a code."""
    removed = Passkey.objects.filter(email=email).delete()[0]
    if removed:
        record_event(
            EventType.PASSKEY_REMOVED,
            email=email,
            user=user,
            request=request,
            detail={"count": removed},
        )
    return removed
