"""The "Your shared links" panel on the Wagtail dashboard (SPEC §5)."""

import datetime

from django.urls import reverse
from django.utils import timezone
from wagtail.admin.ui.components import Component

from wagtail_securelink.choices import EventType
from wagtail_securelink.core.paths import link_manage_path as manage_url_for
from wagtail_securelink.models import AccessEvent, ShareLink

__all__ = ["SharedLinksPanel"]

OPEN_EVENTS = [EventType.VERIFIED, EventType.VIEWED, EventType.DOWNLOADED]


class SharedLinksPanel(Component):
    name = "securelink_shared_links"
    template_name = "wagtail_securelink/admin/home_panel.html"
    order = 150

    def __init__(self, request, limit: int = 5):
        self.request = request
        self.limit = limit

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        user = self.request.user
        now = timezone.now()
        mine = ShareLink.objects.filter(created_by=user)
        active = mine.active(now)
        expiring = active.filter(
            expires_at__isnull=False,
            expires_at__lte=now + datetime.timedelta(days=7),
        ).order_by("expires_at")[: self.limit]
        opens = (
            AccessEvent.objects.filter(link__created_by=user, event__in=OPEN_EVENTS)
            .select_related("link")
            .order_by("-created_at", "-pk")[: self.limit]
        )
        context.update(
            active_count=active.count(),
            expiring=[(link, manage_url_for(link)) for link in expiring],
            opens=[
                (event, manage_url_for(event.link) if event.link else None)
                for event in opens
            ],
            links_url=reverse("wagtail_securelink_sharelink:index")
            + f"?created_by={user.pk}&status=active",
        )
        return context
