"""How the policy applies to links, new and existing (SPEC §6).

"A policy change applies to existing links on their next request": every rule that
compares a link with the policy lives here once, and the places that need it call it —
the visitor's access check, Manage access, the Shared links filter, the share form,
the service layer and the editor's change of expiry.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from wagtail_securelink.choices import Audience, Role
from wagtail_securelink.models.policy import SecureLinkPolicy

__all__ = [
    "address_allowed",
    "anyone_expiry_limit",
    "effective_expiry",
    "is_open",
    "open_links_q",
    "recipient_is_open",
    "open_recipients_q",
    "clean_expiry",
    "stop_reason",
]


def _domain_matches(domain: str, patterns: list[str]) -> bool:
    return any(domain == p or domain.endswith("." + p) for p in patterns)


def address_allowed(address: str, policy: SecureLinkPolicy) -> bool:
    """May ``address`` (already normalised) be a recipient? Blocked wins over allowed."""
    domain = address.rsplit("@", 1)[-1]
    if _domain_matches(domain, policy.blocked_domain_list):
        return False
    allowed = policy.allowed_domain_list
    return not allowed or _domain_matches(domain, allowed)


def anyone_expiry_limit(
    created_at: datetime.datetime, policy: SecureLinkPolicy
) -> datetime.datetime | None:
    """The latest moment an ``anyone`` link created at ``created_at`` may work.

    Counted from the link's creation, so lowering the maximum shortens existing links
    and a later change of expiry cannot stretch a link's life past it. ``None``: the
    policy sets no maximum.
    """
    if not policy.anyone_max_expiry_days:
        return None
    return created_at + datetime.timedelta(days=policy.anyone_max_expiry_days)


def effective_expiry(link, policy: SecureLinkPolicy) -> datetime.datetime | None:
    """When ``link`` stops working: its own expiry, or earlier when the policy says so."""
    expires = link.expires_at
    if link.audience == Audience.ANYONE and link.created_at is not None:
        limit = anyone_expiry_limit(link.created_at, policy)
        if limit is not None and (expires is None or limit < expires):
            return limit
    return expires


def is_open(link, policy: SecureLinkPolicy, now=None) -> bool:
    """Not revoked and not past its effective expiry."""
    if link.is_revoked:
        return False
    expires = effective_expiry(link, policy)
    return expires is None or expires > (now or timezone.now())


def open_links_q(policy: SecureLinkPolicy, now=None) -> Q:
    """``is_open`` as a query condition: the same rule, for the Shared links filter."""
    now = now or timezone.now()
    q = Q(revoked_at__isnull=True) & (
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    if policy.anyone_max_expiry_days:
        oldest = now - datetime.timedelta(days=policy.anyone_max_expiry_days)
        q &= ~Q(audience=Audience.ANYONE) | Q(created_at__gt=oldest)
    return q


def recipient_is_open(recipient, now=None) -> bool:
    """Not past the person's own end of access ("access until"): S9, grants end too."""
    return recipient.expires_at is None or recipient.expires_at > (
        now or timezone.now()
    )


def open_recipients_q(now=None, prefix: str = "") -> Q:
    """``recipient_is_open`` as a query condition (``prefix`` e.g. ``"recipients__"``)."""
    now = now or timezone.now()
    return Q(**{f"{prefix}expires_at__isnull": True}) | Q(
        **{f"{prefix}expires_at__gt": now}
    )


def clean_expiry(
    audience: str,
    expires_at: datetime.datetime | None,
    policy: SecureLinkPolicy,
    *,
    created_at: datetime.datetime | None = None,
) -> datetime.datetime | None:
    """The expiry to store for a new link (``created_at`` None) or a changed one.

    Raises ``ValidationError`` (key ``expires_at``) past the policy's limit. Forms pick
    a day, so a date up to the limit's own day is accepted and stored as the limit
    itself: the last allowed day is never refused. No expiry becomes the limit.
    """
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    if audience != Audience.ANYONE:
        return expires_at
    limit = anyone_expiry_limit(created_at or now, policy)
    if limit is None:
        return expires_at
    if expires_at is None or expires_at >= limit:
        if expires_at is not None and (
            timezone.localdate(expires_at) > timezone.localdate(limit)
        ):
            raise ValidationError(
                {
                    "expires_at": _(
                        "Links that work for anyone must expire within %(days)s "
                        "days of being created: %(date)s at the latest."
                    )
                    % {
                        "days": policy.anyone_max_expiry_days,
                        "date": date_format(timezone.localtime(limit)),
                    }
                }
            )
        return limit
    return expires_at


def _label(choices, value) -> str:
    return str(choices(value).label) if value in choices.values else value


def stop_reason(link, policy: SecureLinkPolicy) -> str:
    """Why the policy stops this link altogether, or "" when it does not."""
    if not policy.audience_allowed(link.audience):
        return _("this kind of link is switched off")
    if not policy.role_allowed(link.audience, link.role):
        return _("the role “%(role)s” is not allowed on “%(audience)s” links") % {
            "role": _label(Role, link.role),
            "audience": _label(Audience, link.audience),
        }
    return ""
