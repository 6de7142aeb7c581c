"""Reading the audit trail: the events a user may see and the filters over them.

The *Secure link activity* report and the API's ``/securelink/events/`` both list these
rows through this filter set, so the two never drift.
"""

import datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet

from wagtail_securelink.choices import EventType
from wagtail_securelink.core.addresses import normalise_email
from wagtail_securelink.models import AccessEvent, ShareLink
from wagtail_securelink.permissions import links_visible_to

__all__ = ["AccessEventFilterSet", "export_filename", "visible_events"]


def visible_events(user):
    """The events the user may read, newest first: superusers all of them, editors those
    of links on items they may change (the report and the API both list these)."""
    queryset = AccessEvent.objects.order_by("-created_at", "-pk")
    if not (user.is_active and user.is_superuser):
        visible = links_visible_to(user, ShareLink.objects.all()).values("pk")
        queryset = queryset.filter(Q(link_id__in=visible))
    return queryset


def export_filename() -> str:
    """The activity export's file name without extension (the report's and the API's)."""
    return "securelink-activity-{}".format(datetime.date.today().strftime("%Y-%m-%d"))


class AccessEventFilterSet(WagtailFilterSet):
    created_at = django_filters.DateFromToRangeFilter(
        label=_("Date"), widget=DateRangePickerWidget
    )
    event = django_filters.MultipleChoiceFilter(
        label=_("Event"), choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )
    link = django_filters.NumberFilter(
        label=_("Link number"), field_name="link_id", min_value=1
    )
    item = django_filters.CharFilter(
        label=_("Shared item"),
        field_name="link__target_title",
        lookup_expr="icontains",
    )
    email = django_filters.CharFilter(
        label=_("Recipient or email"),
        method="filter_email",
        help_text=_("The address, or how it begins."),
    )

    class Meta:
        model = AccessEvent
        fields = []

    def filter_email(self, queryset, name, value):
        """Events whose address begins with ``value``: a person's page links here with
        the whole address. Stored addresses are canonical (``normalise_email``), so
        the text is made canonical too and matched as a prefix, which the B-tree on
        the address answers (on PostgreSQL its ``varchar_pattern_ops`` twin, which
        Django creates with ``db_index``); a contains-search would read every event."""
        value = value.strip()
        if not value:
            return queryset
        try:
            value = normalise_email(value)
        except ValidationError:
            value = value.lower()
        return queryset.filter(email__startswith=value)
