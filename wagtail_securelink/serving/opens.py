"""What opening a shared item records: the link's open counter and last-opened time
(shown in the Shared links listing and on the dashboard), and an ``opened`` event.

The counter is an ``UPDATE … SET open_count = open_count + 1``: two visitors opening
the link at once both count, without a read-modify-write race. The per-link and
per-person open *limits* are ``limits.take_open``; this only counts.
"""

from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from wagtail_securelink.audit.events import record_event
from wagtail_securelink.choices import EventType
from wagtail_securelink.models import ShareLink

__all__ = ["record_open"]


def record_open(link: ShareLink, access, request: HttpRequest) -> None:
    """Count one open of ``link`` by the visitor holding ``access``."""
    ShareLink.objects.filter(pk=link.pk).update(
        open_count=F("open_count") + 1, last_opened_at=timezone.now()
    )
    record_event(
        EventType.OPENED, link=link, recipient=access.recipient, request=request
    )
