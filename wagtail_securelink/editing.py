"""Editor-side operations on existing links, beyond those in ``services``.

Changing a link's expiry, extending it, resending an invitation, revoking many links
at once, and the queries that notifications and hygiene mails need. Each change is an
access event *and* a Wagtail audit log entry, like the operations in ``services``,
which may re-export these names.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from . import enforcement
from .choices import EventType
from .events import record_event
from .models import Recipient, ShareLink
from .policy import current_policy

__all__ = [
    "change_expiry",
    "extend_link",
    "resend_invitation",
    "revoke_links",
    "expiring_between",
    "never_opened",
    "unused_since",
]


def change_expiry(
    link: ShareLink,
    expires_at: datetime.datetime | None,
    *,
    user=None,
    request=None,
) -> ShareLink:
    """Set a new expiry (``None``: never). Raises ``ValidationError`` on refusal.

    A revoked link cannot be brought back by a new date: revocation is final. An
    expired link can be given a new future date, which makes it work again.
    """
    policy = current_policy(request)
    now = timezone.now()
    if link.is_revoked:
        raise ValidationError(
            {"expires_at": _("This link was revoked; it cannot be changed.")}
        )
    # One rule with the share form's (``enforcement.clean_expiry``): no expiry on an
    # ``anyone`` link becomes the policy's limit, and the limit's own day is accepted.
    expires_at = enforcement.clean_expiry(
        link.audience, expires_at, policy, created_at=link.created_at
    )
    old = link.expires_at
    with transaction.atomic():
        ShareLink.objects.filter(pk=link.pk).update(
            expires_at=expires_at, updated_at=now, expiry_notified_at=None
        )
        link.expires_at = expires_at
        record_event(
            EventType.LINK_CHANGED,
            link=link,
            user=user,
            request=request,
            detail={
                "field": "expires_at",
                "old": old.isoformat() if old else None,
                "new": expires_at.isoformat() if expires_at else None,
            },
        )
        log(
            instance=link,
            action="wagtail_securelink.change",
            user=user,
            data={"field": "expires_at"},
        )
    return link


def extend_link(link: ShareLink, days: int, *, user=None, request=None) -> ShareLink:
    """Push the expiry ``days`` further, counted from now if the link already expired."""
    base = max(link.expires_at or timezone.now(), timezone.now())
    return change_expiry(
        link, base + datetime.timedelta(days=days), user=user, request=request
    )


def resend_invitation(recipient: Recipient, *, user=None, request=None):
    """Email the invitation to one recipient again; returns the ``InvitationReport``."""
    from .services import send_invitations_to

    if not recipient.link.is_active():
        raise ValidationError(_("This link no longer works; nothing was sent."))
    return send_invitations_to(recipient.link, [recipient])


def revoke_links(links: QuerySet, *, user=None, request=None) -> int:
    """Revoke each active link of ``links`` (already filtered by permission)."""
    from .services import revoke_link

    count = 0
    for link in links.filter(revoked_at__isnull=True):
        revoke_link(link, user=user, request=request)
        count += 1
    return count


# Queries for notifications and hygiene -------------------------------------------------


def expiring_between(start, end, queryset=None) -> QuerySet:
    """Active links whose expiry falls in ``(start, end]``."""
    queryset = ShareLink.objects.all() if queryset is None else queryset
    return queryset.filter(
        revoked_at__isnull=True, expires_at__gt=start, expires_at__lte=end
    )


def never_opened(queryset=None, now=None) -> QuerySet:
    queryset = ShareLink.objects.all() if queryset is None else queryset
    return queryset.active(now).filter(open_count=0, last_opened_at__isnull=True)


def unused_since(cutoff, queryset=None, now=None) -> QuerySet:
    """Active links created before ``cutoff`` and not opened since."""
    queryset = ShareLink.objects.all() if queryset is None else queryset
    return (
        queryset.active(now)
        .filter(created_at__lt=cutoff)
        .filter(Q(last_opened_at__isnull=True) | Q(last_opened_at__lt=cutoff))
    )
