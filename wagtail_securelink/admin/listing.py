"""What the app's two admin listings share: *Shared links* (``viewsets``) and *People*
(``people_admin``), both Wagtail ``ModelViewSet`` listings.

Both are listings only: their rows are created on the share form and changed on
Manage access or a person's page, so the viewset mounts the index (and its AJAX
results view) and nothing else, registers no permissions of its own
(``wagtail_hooks.register_permissions`` offers add/change/delete), and shows its menu
item to the users who may manage links.
"""

from django.contrib.auth.models import Permission
from django.http import HttpRequest
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import MenuItem
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import HeaderButton

from wagtail_securelink.permissions import user_can_manage_links

__all__ = [
    "CappedCountPaginator",
    "ExactDateColumn",
    "ListingIndexView",
    "ListingViewSet",
    "ManagersMenuItem",
    "access_export_buttons",
]


class ExactDateColumn(Column):
    """A date shown as a date: Wagtail's DateColumn says "Just now" for future dates."""

    def get_value(self, instance):
        value = super().get_value(instance)
        if value is None:
            return "—"
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def access_export_buttons(scope: str = "") -> list:
    """The "Who has access now" downloads, CSV and XLSX, streamed."""
    base = reverse("wagtail_securelink_admin:access_export")
    scoped = f"&scope={scope}" if scope else ""
    return [
        HeaderButton(
            _("Who has access now (CSV)"),
            url=f"{base}?format=csv{scoped}",
            icon_name="download",
        ),
        HeaderButton(
            _("Who has access now (XLSX)"),
            url=f"{base}?format=xlsx{scoped}",
            icon_name="download",
        ),
    ]


class CappedCountPaginator(WagtailPaginator):
    """Counts at most ``cap`` rows and a sentinel: ``COUNT(*)`` over ten million
    events reads them all on every page, ``COUNT`` over ``LIMIT cap + 1`` reads at
    most that many from the index the listing is ordered by. Past the cap the listing
    says "more than" and its pages stop there; a date filter reaches older rows."""

    cap = 10_000

    @cached_property
    def count(self):
        return self.object_list[: self.cap + 1].count()

    @cached_property
    def items_count_label(self):
        if self.count > self.cap:
            return _("More than %(count)s %(items)s") % {
                "count": formats.number_format(self.cap, force_grouping=True),
                "items": self.verbose_name_plural,
            }
        return super().items_count_label


class ListingIndexView(generic.IndexView):
    """An index whose rows lead elsewhere: no add, copy, delete or inspect views."""

    any_permission_required = ["add", "change", "delete"]
    search_backend_name = None

    def get_add_url(self):
        return None

    def get_copy_url(self, instance):
        return None

    def get_delete_url(self, instance):
        return None

    def get_inspect_url(self, instance):
        return None

    def get_list_more_buttons(self, instance):
        return []


class ManagersMenuItem(MenuItem):
    """A menu item shown to the users who may manage links (the listings, the report)."""

    def is_shown(self, request: HttpRequest):
        return user_can_manage_links(request.user)


class ListingViewSet(ModelViewSet):
    add_to_admin_menu = True
    copy_view_enabled = False
    inspect_view_enabled = False
    add_to_reference_index = False
    list_per_page = 50

    @cached_property
    def menu_item_class(self):
        return ManagersMenuItem

    def get_permissions_to_register(self):
        return Permission.objects.none()

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
        ]
