"""How the policy applies to links, new and existing (SPEC §6).

"A policy change applies to existing links on their next request". Whether a link is
open, with the policy applied, is the model's (``ShareLink.is_active``, ``status``,
``ShareLinkQuerySet.active``); here are the other rules that compare a link or an
address with the policy: allowed domains, the expiry an editor may set, and why the
policy stops a link altogether.
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from wagtail_securelink.choices import Audience, Role, TargetType, choice_label
from wagtail_securelink.models.links import anyone_expiry_limit
from wagtail_securelink.models.policy import SecureLinkPolicy

__all__ = [
    "address_allowed",
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


def stop_reason(link, policy: SecureLinkPolicy) -> str:
    """Why the policy stops this link altogether, or "" when it does not."""
    if link.target_type == TargetType.PAGE and not policy.allow_page_previews:
        return _("page previews are switched off")
    if not policy.audience_allowed(link.audience):
        return _("this kind of link is switched off")
    if not policy.role_allowed(link.audience, link.role):
        return _("the role “%(role)s” is not allowed on “%(audience)s” links") % {
            "role": choice_label(Role, link.role),
            "audience": choice_label(Audience, link.audience),
        }
    return ""
