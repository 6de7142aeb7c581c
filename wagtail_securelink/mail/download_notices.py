"""An optional email to the sharer when a link's item is downloaded.

Off by default; switched on per link (``ShareLink.notify_downloads``). Batched so that
a busy link sends one email an hour at most: the first download after a quiet hour
claims the link with a compare-and-swap UPDATE of ``download_notice_at`` (so two
processes never both send), and the email lists every download since the previous
notice. Downloads in the hour after a notice wait for the next one.
"""

import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_tasks import task

from wagtail_securelink.choices import EventType
from wagtail_securelink.mail import notices
from wagtail_securelink.models import AccessEvent, ShareLink
from wagtail_securelink.tasks.background import later

__all__ = ["NOTICE_INTERVAL", "on_access_event_saved", "notify_downloads"]

NOTICE_INTERVAL = datetime.timedelta(hours=1)
LISTED = 50  # downloads named in one email; the rest are counted


def notify_downloads(link_id: int, since: str | None) -> str:
    link = ShareLink.objects.select_related("created_by").filter(pk=link_id).first()
    if link is None:
        return "skipped"
    to = notices.sharer_address(link)
    if not to:
        return "skipped"
    events = AccessEvent.objects.filter(link_id=link_id, event=EventType.DOWNLOADED)
    start = parse_datetime(since) if since else None
    if start is not None:
        events = events.filter(created_at__gt=start)
    events = events.order_by("created_at", "pk")
    total = events.count()
    if not total:
        return "skipped"
    context = {
        "link": link,
        "total": total,
        "downloads": list(events[:LISTED]),
        "more": max(0, total - LISTED),
        "manage_url": notices.manage_url(link),
    }
    return notices.send_notice("notify_downloads", context, to, user=link.created_by)


@task()
def download_notice_task(link_id: int, since: str | None) -> str:
    return notify_downloads(link_id, since)


def on_access_event_saved(sender, instance, created, **kwargs):
    """``post_save`` of ``AccessEvent``: a download on a link that asks for notices."""
    if not created or instance.event != EventType.DOWNLOADED or not instance.link_id:
        return
    # The link the event was recorded with is at hand: no query for the many links
    # that do not ask for notices (the download path keeps its statement count).
    link = instance._state.fields_cache.get("link") or instance.link
    if link is None or not link.notify_downloads:
        return
    rows = list(
        ShareLink.objects.filter(pk=link.pk).values_list(
            "download_notice_at", flat=True
        )
    )
    if not rows:
        return
    row = rows[0]
    now = timezone.now()
    if row is not None and row > now - NOTICE_INTERVAL:
        return  # told less than an hour ago: this download waits for the next notice
    same = (
        Q(download_notice_at__isnull=True) if row is None else Q(download_notice_at=row)
    )
    claimed = ShareLink.objects.filter(same, pk=instance.link_id).update(
        download_notice_at=now
    )
    if claimed:
        later(download_notice_task, instance.link_id, row.isoformat() if row else None)
