"""The weekly digest (``securelink_digest``): for each editor, their links that expire
soon, were never opened, or have not been used for ``UNUSED_DAYS`` days, each with a
one-click way to Manage access. The queries are here too; ``notifications`` uses the
first for its expiry notices.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from wagtail_securelink.mail.notices import admin_url, manage_url, send_notice
from wagtail_securelink.models import ShareLink

__all__ = [
    "UNUSED_DAYS",
    "DIGEST_EXPIRING_DAYS",
    "expiring_between",
    "never_opened",
    "unused_since",
    "digest_for",
    "send_digest",
    "digest_task",
]

UNUSED_DAYS = 90
DIGEST_EXPIRING_DAYS = 7


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


def digest_for(user, now=None) -> dict:
    """The hygiene lists for one editor: expiring soon, never opened, unused."""
    now = now or timezone.now()
    mine = ShareLink.objects.filter(created_by=user).order_by("expires_at", "pk")
    week_old = now - datetime.timedelta(days=7)
    return {
        "expiring": list(
            expiring_between(
                now, now + datetime.timedelta(days=DIGEST_EXPIRING_DAYS), mine
            )
        ),
        "never_opened": list(never_opened(mine, now).filter(created_at__lt=week_old)),
        "unused": list(
            unused_since(now - datetime.timedelta(days=UNUSED_DAYS), mine, now).exclude(
                open_count=0
            )
        ),
    }


def send_digest(user_id: int) -> str:
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not getattr(user, "email", ""):
        return "skipped"
    lists = digest_for(user)
    if not any(lists.values()):
        return "skipped"
    for name in ("expiring", "never_opened", "unused"):
        lists[name] = [{"link": link, "url": manage_url(link)} for link in lists[name]]
    context = {
        "user": user,
        **lists,
        "links_url": admin_url(reverse("wagtail_securelink_sharelink:index")),
    }
    return send_notice("notify_digest", context, user.email, user=user)


@task()
def digest_task(user_id: int) -> str:
    return send_digest(user_id)
