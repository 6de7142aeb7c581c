"""Access to a link: resolve its token, and decide on every request whether this visitor
holds access now (S1, S9). Grants are opened here after a successful verification
(``verification``) and ended on sign-out, revocation, lock or reverification.

Called by thin views in ``views/`` and by tests, through ``services``.
"""

import datetime
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from wagtail_securelink import signals
from wagtail_securelink.audit.events import record_event
from wagtail_securelink.choices import Audience, EventType, PasskeyPolicy
from wagtail_securelink.conf import settings
from wagtail_securelink.core.addresses import normalise_email
from wagtail_securelink.core.tokens import key_from_token
from wagtail_securelink.models import Grant, Recipient, SecureLinkPolicy, ShareLink
from wagtail_securelink.models.policy import current_policy
from wagtail_securelink.policy.enforcement import (
    address_allowed,
    stop_reason,
)
from wagtail_securelink.serving.prepared import PreparedQuery
from wagtail_securelink.verification import grants

logger = logging.getLogger(__name__)

__all__ = [
    "find_recipient",
    "resolve_token",
    "Access",
    "get_access",
    "open_grant",
    "end_grant",
    "sign_out",
    "reverification_days",
]


def _link_by_key(key):
    # The policy's version comes along in the same query, so that ``get_access`` can use
    # this process's copy of the policy without reading it again (policy.current_policy).
    return (
        ShareLink.objects.select_related(
            "document", "collection", "page", "page_revision", "created_by"
        )
        .annotate(
            policy_version=Subquery(
                SecureLinkPolicy.objects.order_by("pk").values("version")[:1]
            ),
            # An organization link limited to groups: known in this query.
            group_limited=Exists(
                ShareLink.groups.through.objects.filter(sharelink=OuterRef("pk"))
            ),
        )
        .filter(key=key)
        .order_by()[:1]  # the key is unique
    )


# Compiled once per connection: every visitor request runs it (``prepared``).
_LINK_BY_KEY = PreparedQuery(ShareLink, _link_by_key, "stand-in key")
_GRANT = PreparedQuery(
    Grant,
    lambda grant_id, link_id: (
        Grant.objects.select_related("recipient")
        .filter(pk=grant_id, link_id=link_id)
        .order_by()[:1]
    ),
    -1,
    -2,
)


def resolve_token(token: str) -> ShareLink | None:
    """The link a token names, in any state, or ``None`` (S1). Callers check ``ShareLink.is_active``, the policy applied."""
    key = key_from_token(token)
    if key is None:
        return None
    return _LINK_BY_KEY.first(key)


def find_recipient(link, email: str, policy=None) -> Recipient | None:
    """The recipient row for ``email``, or ``None`` — also when the policy no longer
    allows the address's domain, or the person's own access has ended ("access
    until"): such a recipient is treated as removed (§6, S9), so the pages that follow
    are those of any unlisted address (S7)."""
    if link.audience != Audience.SPECIFIC:
        return None
    recipient = link.recipients.filter(email=email).first()
    if recipient is None or not address_allowed(
        recipient.email, policy or current_policy()
    ):
        return None
    if recipient.is_expired():
        return None
    return recipient


# -- grants -------------------------------------------------------------------------------


def reverification_days(link: ShareLink, policy=None) -> int:
    """The site's period, or the link's own when shorter: the site maximum always wins."""
    policy = policy or current_policy()
    days = policy.reverification_days
    if link.reverification_days:
        days = min(days, link.reverification_days)
    return days


def open_grant(
    link: ShareLink, request, *, recipient=None, proved_at=None
) -> tuple[Grant, str]:
    """Open a grant after a proof. ``proved_at``: the earlier code a passkey stands
    in for; the grant's reverification period runs from it."""
    secret = grants.new_secret()
    now = timezone.now()
    grant = Grant.objects.create(
        link=link,
        recipient=recipient,
        secret_hash=grants.hash_secret(secret),
        proved_at=proved_at,
    )
    record_event(
        EventType.VERIFIED,
        link=link,
        recipient=recipient,
        request=request,
        detail={"method": "passkey"} if proved_at else None,
    )
    if recipient is not None and recipient.first_opened_at is None:
        Recipient.objects.filter(pk=recipient.pk, first_opened_at__isnull=True).update(
            first_opened_at=now
        )
    signals.visitor_verified.send(
        sender=ShareLink, link=link, recipient=recipient, grant=grant, request=request
    )
    return grant, grants.dump(link, grant.pk, secret)


@dataclass
class Access:
    ok: bool
    grant: Grant | None = None
    recipient: Recipient | None = None
    user: object = None
    prefill_email: str = ""
    needs_login: bool = False  # an ``organization`` link opened by an anonymous visitor
    needs_password: bool = False  # an ``anyone`` link with a password and no grant
    disabled: bool = False  # the policy has switched this kind of link off
    # An ``organization`` link limited to groups, opened by an account outside them.
    not_for_account: bool = False


def _signed_in(request):
    user = getattr(request, "user", None)
    return (
        user if user is not None and user.is_authenticated and user.is_active else None
    )


def get_access(link: ShareLink, request) -> Access:
    """Does this request hold access to ``link``? Checked server-side on every request (S9)."""
    policy = current_policy(request, version=getattr(link, "policy_version", None))
    user = _signed_in(request)
    if stop_reason(link, policy):
        return Access(ok=False, disabled=True)
    if link.audience == Audience.ORGANIZATION:
        if user is None:
            return Access(ok=False, needs_login=True)
        if not in_link_groups(link, user):
            return Access(ok=False, not_for_account=True, user=user)
        return Access(ok=True, user=user)
    if link.audience == Audience.ANYONE and not link.password:
        return Access(ok=True, user=user)
    if link.audience == Audience.SPECIFIC and user is not None:
        recipient = _recipient_for_user(link, user, policy)
        if recipient is not None and not recipient.is_locked:
            if recipient.first_opened_at is None:
                _account_first_open(link, recipient, request)
            return Access(ok=True, recipient=recipient, user=user)
    access = _grant_access(link, request, policy)
    if not access.ok and link.audience == Audience.ANYONE:
        access.needs_password = True
    return access


def in_link_groups(link, user) -> bool:
    """Whether ``user`` may open an ``organization`` link: any account when the link
    names no group, otherwise members of one of its Wagtail groups only."""
    limited = getattr(link, "group_limited", None)
    if limited is None:  # a link not loaded by ``resolve_token``
        limited = link.groups.exists()
    if not limited:
        return True
    return link.groups.filter(pk__in=user.groups.values("pk")).exists()


def _recipient_for_user(link, user, policy):
    """The recipient a signed-in user stands for, only where account addresses are
    proof of owning them (S17): otherwise anyone who may edit their own account email
    could type a recipient's address there and walk in without a code."""
    if not settings.ACCOUNT_EMAILS_VERIFIED:
        return None
    try:
        address = normalise_email(getattr(user, user.get_email_field_name(), "") or "")
    except ValidationError:
        return None
    return find_recipient(link, address, policy)


def _account_first_open(link, recipient, request) -> None:
    """A recipient opening the link through their verified account counts as verified:
    record the first open, and tell the sharer, as a code would (S17)."""
    claimed = Recipient.objects.filter(
        pk=recipient.pk, first_opened_at__isnull=True
    ).update(first_opened_at=timezone.now())
    if not claimed:
        return
    record_event(
        EventType.VERIFIED,
        link=link,
        recipient=recipient,
        request=request,
        detail={"method": "account"},
    )
    # ``recipient`` still holds first_opened_at=None: the first-open notice goes out.
    signals.visitor_verified.send(
        sender=ShareLink, link=link, recipient=recipient, grant=None, request=request
    )
    recipient.first_opened_at = timezone.now()


def _grant_access(link, request, policy) -> Access:
    parsed = grants.load(
        link, request.COOKIES.get(grants.cookie_name(link, request.is_secure()))
    )
    if parsed is None:
        return Access(ok=False)
    grant_id, secret = parsed
    grant = _GRANT.first(grant_id, link.pk)
    if grant is None or not grants.secret_matches(secret, grant.secret_hash):
        return Access(ok=False)
    recipient = grant.recipient
    prefill = recipient.email if recipient else ""
    if grant.ended_at is not None:
        return Access(ok=False, prefill_email=prefill)
    if link.audience == Audience.SPECIFIC and (
        recipient is None or recipient.is_locked
    ):
        end_grant(grant, "locked" if recipient else "audience_changed", request=request)
        return Access(ok=False, prefill_email=prefill)
    if recipient is not None and not address_allowed(recipient.email, policy):
        end_grant(grant, "domain_not_allowed", request=request)
        return Access(ok=False)
    if recipient is not None and recipient.is_expired():
        end_grant(grant, "recipient_expired", request=request)
        return Access(ok=False)
    days = reverification_days(link, policy)
    proved_at = grant.proved_at or grant.created_at
    if proved_at + datetime.timedelta(days=days) <= timezone.now():
        end_grant(grant, "reverification_due", request=request)
        return Access(ok=False, prefill_email=prefill)
    if grant.proved_at is not None and _passkey_stay_over(grant, policy):
        end_grant(grant, "passkey_stay_over", request=request)
        return Access(ok=False, prefill_email=prefill)
    return Access(ok=True, grant=grant, recipient=recipient, user=_signed_in(request))


def _passkey_stay_over(grant, policy) -> bool:
    """A grant a passkey opened, under a policy that keeps such browsers in for a few
    hours only: whether those hours have passed."""
    if policy.passkeys != PasskeyPolicy.OFFERED_LIMITED:
        return False
    stay = datetime.timedelta(hours=policy.passkey_stay_hours)
    return grant.created_at + stay <= timezone.now()


def end_grant(
    grant: Grant, reason: str, *, request=None, event=EventType.GRANT_ENDED
) -> None:
    ended = Grant.objects.filter(pk=grant.pk, ended_at__isnull=True).update(
        ended_at=timezone.now(), end_reason=reason
    )
    if ended:
        record_event(
            event,
            link=grant.link,
            recipient=grant.recipient,
            request=request,
            detail={"reason": reason},
        )


def sign_out(link: ShareLink, request) -> None:
    access = get_access(link, request)
    if access.grant is not None:
        end_grant(
            access.grant, "signed_out", request=request, event=EventType.SIGNED_OUT
        )
    elif access.ok:
        record_event(
            EventType.SIGNED_OUT, link=link, recipient=access.recipient, request=request
        )
