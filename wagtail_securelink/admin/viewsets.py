"""The *Shared links* admin area (SPEC §5): Wagtail's ``ModelViewSet`` over ``ShareLink``.

Listing only (``admin_listing``): links are created through the share form and
changed on the Manage access page. Each row's title leads to Manage access for the link's item. Bulk revoke is a
Wagtail bulk action (``bulk_actions.RevokeBulkAction``), so the checkboxes, the footer
and the confirmation page are Wagtail's own.

The queryset is filtered by ``permissions.links_visible_to`` (editors see only links
on items they may change) in subqueries, and every row's data comes from the same
query (``select_related`` and a recipient count annotation), so a page costs the
same number of queries whether there are ten links or a million.
"""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import (
    BulkActionsCheckboxColumn,
    Column,
    StatusTagColumn,
    TitleColumn,
)
from wagtail.admin.widgets import HeaderButton

from wagtail_securelink.admin.listing import (
    ExactDateColumn,
    ListingIndexView,
    ListingViewSet,
    access_export_buttons,
)
from wagtail_securelink.choices import Audience, Role, TargetType
from wagtail_securelink.core.paths import link_manage_path
from wagtail_securelink.models import Recipient, ShareLink
from wagtail_securelink.models.policy import current_policy
from wagtail_securelink.permissions import links_visible_to, user_can_manage_link

__all__ = [
    "ShareLinkFilterSet",
    "ShareLinkIndexView",
    "ShareLinkAdminURLFinder",
    "ShareLinkViewSet",
]

STATUS_CHOICES = [
    ("active", _("Active")),
    ("expired", _("Expired")),
    ("revoked", _("Revoked")),
]


def _creators(request):
    # Per user, one probe of the (created_by, created_at) index: ``pk IN (SELECT
    # created_by FROM links)`` read every link on every page of the listing.
    User = get_user_model()
    shared = ShareLink.objects.filter(created_by=OuterRef("pk"))
    return User.objects.filter(Exists(shared)).order_by(User.USERNAME_FIELD)


class ShareLinkFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=STATUS_CHOICES, method="filter_status"
    )
    audience = django_filters.ChoiceFilter(
        label=_("Audience"), choices=Audience.choices
    )
    role = django_filters.ChoiceFilter(label=_("Role"), choices=Role.choices)
    target_type = django_filters.ChoiceFilter(
        label=_("Shared item"), choices=TargetType.choices
    )
    created_by = django_filters.ModelChoiceFilter(
        label=_("Created by"), queryset=_creators
    )

    class Meta:
        model = ShareLink
        fields = []

    def filter_status(self, queryset, name, value):
        # The policy's limits count (§6): an ``anyone`` link past a lowered maximum
        # is listed as expired, as its visitors see it.
        policy = current_policy(self.request)
        if value == "active":
            return queryset.active(policy=policy)
        if value == "expired":
            return queryset.expired(policy=policy)
        if value == "revoked":
            return queryset.revoked()
        return queryset


class DashColumn(Column):
    """A plain column whose empty cells say "—" rather than nothing."""

    def get_value(self, instance):
        value = super().get_value(instance)
        return "—" if value in (None, "") else value


class AccessColumn(Column):
    """Audience and role in one cell ("Specific people · Download"): the listing stays
    readable at 1280 px without breaking words."""

    def get_value(self, instance):
        return f"{instance.get_audience_display()} · {instance.get_role_display()}"


class CreatorColumn(DashColumn):
    def get_value(self, instance):
        user = instance.created_by
        if user is None:
            return "—"
        return user.get_full_name() or user.get_username()


class LastOpenedColumn(Column):
    """When the link was last opened, and how often in all ("—" when never)."""

    def get_value(self, instance):
        if instance.last_opened_at is None:
            return "—"
        opened = formats.date_format(
            timezone.localtime(instance.last_opened_at), "SHORT_DATETIME_FORMAT"
        )
        opens = ngettext("%(count)s open", "%(count)s opens", instance.open_count) % {
            "count": instance.open_count
        }
        return f"{opened} ({opens})"


class RecipientsColumn(Column):
    def get_value(self, instance):
        if instance.audience != Audience.SPECIFIC:
            return "—"
        return instance.recipient_count


class SharedItemColumn(TitleColumn):
    """The item's title, with "(collection)" after a collection's."""

    def get_value(self, instance):
        title = super().get_value(instance)
        if instance.target_type == TargetType.COLLECTION:
            return _("%(title)s (collection)") % {"title": title}
        if instance.target_type == TargetType.PAGE:
            return _("%(title)s (page preview)") % {"title": title}
        return title


def _recipient_count():
    # A correlated subquery, not Count() over a join: the database then counts only for
    # the page of links it returns, instead of grouping the whole table first (108 ms
    # at 10,000 links on SQLite).
    counts = (
        Recipient.objects.filter(link=OuterRef("pk"))
        .order_by()
        .values("link")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


class ShareLinkIndexView(ListingIndexView):
    default_ordering = "-created_at"
    search_fields = ["target_title"]

    def get_base_queryset(self):
        queryset = links_visible_to(self.request.user, super().get_base_queryset())
        return (
            queryset.select_related(
                "created_by__wagtail_userprofile", "document", "collection"
            )
            .annotate(recipient_count=_recipient_count())
            .with_status(policy=current_policy(self.request))
        )

    def search_queryset(self, queryset):
        # By title, or by any recipient's address: one ``IN`` over the ``UNION`` of the
        # two sides, each answered once by its trigram index on PostgreSQL
        # (``core.pg_indexes``). The union is what lets the database start from the
        # matches: ``pk IN (titles) OR pk IN (recipients)`` is a filter it can only
        # apply to every link of the table in turn (a sequential scan for the count, a
        # walk of every link by date for the page). A link with many matching
        # recipients is listed once. SQLite scans both sides (docs/performance.md).
        if not self.search_query:
            return queryset
        query = self.search_query.strip()
        titles = ShareLink.objects.filter(target_title__icontains=query)
        recipients = Recipient.objects.filter(email__icontains=query)
        # ``order_by()``: the models' default orderings would sort each side first.
        matches = (
            titles.order_by()
            .values("pk")
            .union(recipients.order_by().values("link_id"))
        )
        return queryset.filter(pk__in=matches)

    @cached_property
    def columns(self):
        return [
            BulkActionsCheckboxColumn("bulk_actions", obj_type="sharelink"),
            SharedItemColumn(
                "target_title",
                label=_("Shared item"),
                sort_key="target_title",
                get_url=link_manage_path,
                get_title_id=lambda link: f"sharelink_{link.pk}_title",
            ),
            AccessColumn("access", label=_("Access"), sort_key="audience"),
            RecipientsColumn("recipients", label=_("People")),
            StatusTagColumn(
                "get_status_display",
                label=_("Status"),
                primary=lambda link: link.status == "active",
            ),
            CreatorColumn("created_by", label=_("Created by")),
            ExactDateColumn("created_at", label=_("Created"), sort_key="created_at"),
            ExactDateColumn("expires_at", label=_("Expires"), sort_key="expires_at"),
            LastOpenedColumn(
                "last_opened_at", label=_("Last opened"), sort_key="last_opened_at"
            ),
        ]

    def get_edit_url(self, instance):
        return link_manage_path(instance)

    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.request.user.has_perm("wagtail_securelink.add_sharelink"):
            buttons.append(
                HeaderButton(
                    _("Share a collection"),
                    url=reverse("wagtail_securelink_admin:collections"),
                    icon_name="folder-open-1",
                )
            )
        # Who has access now: every person and every open link.
        return [*buttons, *access_export_buttons()]


class ShareLinkAdminURLFinder:
    """Where Wagtail's site history and search link a ShareLink to: its Manage access page."""

    def __init__(self, user=None):
        self.user = user

    def get_edit_url(self, instance):
        if self.user is not None and not user_can_manage_link(self.user, instance):
            return None
        return link_manage_path(instance)


class ShareLinkViewSet(ListingViewSet):
    model = ShareLink
    icon = "link"
    menu_label = _("Shared links")
    menu_order = 290
    name = "wagtail_securelink_sharelink"
    url_prefix = "securelink/shared-links"
    index_view_class = ShareLinkIndexView
    filterset_class = ShareLinkFilterSet
    template_prefix = "wagtail_securelink/admin/"
    index_template_name = "wagtail_securelink/admin/links_index.html"
    url_finder_class = ShareLinkAdminURLFinder
