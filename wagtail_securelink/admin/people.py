"""The *People* admin area: Wagtail's ``ModelViewSet`` over recipient addresses.

One row per address on links the editor may manage (``people.people_for``: the first
``Recipient`` row of each address, annotated in correlated subqueries), so a page of
fifty people costs the same queries for ten people or ten thousand. Filters: domain,
item, expiring, never opened, locked; search by address. Each row leads to the
person's page (``views.people``); the bulk actions (``people_bulk_actions``) are
Wagtail's own. The permission policy is ``permissions.PeoplePermissionPolicy``.
"""

import datetime
from urllib.parse import urlencode

import django_filters
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import VERSION as WAGTAIL_VERSION
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import (
    BulkActionsCheckboxColumn,
    Column,
    DateColumn,
    TitleColumn,
)

from wagtail_securelink.admin.listing import (
    CappedCountPaginator,
    ExactDateColumn,
    ListingIndexView,
    ListingViewSet,
    access_export_buttons,
)
from wagtail_securelink.models import Recipient
from wagtail_securelink.permissions import PeoplePermissionPolicy
from wagtail_securelink.sharing import people

__all__ = ["PeopleFilterSet", "PeopleIndexView", "PeopleViewSet", "person_url"]

PEOPLE_POLICY = PeoplePermissionPolicy(Recipient)
if WAGTAIL_VERSION >= (8, 0):
    from wagtail.permissions import register_permission_policy

    register_permission_policy(Recipient, PEOPLE_POLICY, exact_class=True)

# "Expiring": the person's own access ends within this many days.
EXPIRING_DAYS = 7


def person_url(email: str) -> str:
    return (
        reverse("wagtail_securelink_admin:person") + "?" + urlencode({"email": email})
    )


class PeopleFilterSet(WagtailFilterSet):
    domain = django_filters.CharFilter(
        label=_("Domain"), method="filter_domain", max_length=253
    )
    item = django_filters.CharFilter(
        label=_("Shared item"), method="filter_item", max_length=255
    )
    expiring = django_filters.BooleanFilter(
        label=_("Access ends within 7 days"),
        method="filter_expiring",
        widget=django_filters.widgets.BooleanWidget,
    )
    never_opened = django_filters.BooleanFilter(
        label=_("Never opened"),
        method="filter_never_opened",
        widget=django_filters.widgets.BooleanWidget,
    )
    locked = django_filters.BooleanFilter(
        label=_("Locked"),
        method="filter_locked",
        widget=django_filters.widgets.BooleanWidget,
    )

    class Meta:
        model = Recipient
        fields = []

    def filter_domain(self, queryset, name, value):
        value = value.strip().lstrip("@").lower()
        return queryset.filter(email__iendswith="@" + value) if value else queryset

    def filter_item(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(people.reaches_item(self.request.user, value))

    def filter_expiring(self, queryset, name, value):
        if value is None:
            return queryset
        now = timezone.now()
        soon = Q(
            access_until__gt=now,
            access_until__lte=now + datetime.timedelta(days=EXPIRING_DAYS),
        )
        return queryset.filter(soon) if value else queryset.exclude(soon)

    def filter_never_opened(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(last_opened__isnull=value)

    def filter_locked(self, queryset, name, value):
        if value is None:
            return queryset
        return (
            queryset.filter(locked_count__gt=0)
            if value
            else queryset.filter(locked_count=0)
        )


class CountColumn(Column):
    def get_value(self, instance):
        return getattr(instance, self.accessor, 0) or 0


class PeopleIndexView(ListingIndexView):
    default_ordering = "email"
    search_fields = ["email"]
    page_title = _("People")
    # Counting every person probes the first row of each address: 90 ms for 50,000
    # people on PostgreSQL, on every page and every broad search. The count stops at
    # the cap and the results say "more than" (``listing_results.html``). Shared links
    # keeps Wagtail's exact count: one index over the links, 10 ms for 100,000.
    paginator_class = CappedCountPaginator
    results_template_name = "wagtail_securelink/admin/listing_results.html"

    def get_base_queryset(self):
        return people.people_for(self.request.user).select_related("link")

    def search_queryset(self, queryset):
        if not self.search_query:
            return queryset
        return queryset.filter(email__icontains=self.search_query.strip())

    @cached_property
    def columns(self):
        return [
            BulkActionsCheckboxColumn("bulk_actions", obj_type="recipient"),
            TitleColumn(
                "email",
                label=_("Email address"),
                sort_key="email",
                get_url=lambda row: person_url(row.email),
                get_title_id=lambda row: f"person_{row.pk}_title",
            ),
            CountColumn("link_count", label=_("Links"), sort_key="link_count"),
            CountColumn("item_count", label=_("Items"), sort_key="item_count"),
            CountColumn(
                "open_link_count", label=_("Working links"), sort_key="open_link_count"
            ),
            ExactDateColumn(
                "access_until", label=_("Access until"), sort_key="access_until"
            ),
            DateColumn(
                "last_verified", label=_("Last verified"), sort_key="last_verified"
            ),
            DateColumn("last_opened", label=_("Last opened"), sort_key="last_opened"),
            CountColumn("open_grants", label=_("Open sessions")),
            CountColumn("locked_count", label=_("Locked on"), sort_key="locked_count"),
        ]

    def get_edit_url(self, instance):
        return person_url(instance.email)

    @cached_property
    def header_buttons(self):
        return [*super().header_buttons, *access_export_buttons(scope="people")]


class PeopleViewSet(ListingViewSet):
    model = Recipient
    icon = "group"
    menu_label = _("People")
    menu_order = 291
    name = "wagtail_securelink_people"
    url_prefix = "securelink/people"
    index_view_class = PeopleIndexView
    filterset_class = PeopleFilterSet

    if WAGTAIL_VERSION < (8, 0):
        # Wagtail 7.4: the viewset names its policy (registered above on 8.0).
        @cached_property
        def permission_policy(self):
            return PEOPLE_POLICY
