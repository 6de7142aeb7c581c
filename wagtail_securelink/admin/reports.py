"""The *Secure link activity* report (SPEC §5): Wagtail's ``ReportView`` over access events.

Filters by date, link, recipient address and event type; CSV and XLSX export through
Wagtail's ``SpreadsheetExportMixin`` (XLSX via openpyxl, a Wagtail dependency), CSV
cells made spreadsheet-safe by ``spreadsheets.safe_cell``. Editors
see the events of links on items they may change; superusers see everything,
including events that belong to no link (for instance a malformed token).
"""

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn, UserColumn
from wagtail.admin.views.reports import ReportView

from wagtail_securelink.admin.listing import CappedCountPaginator
from wagtail_securelink.admin.views.base import forbidden
from wagtail_securelink.audit.activity import (
    AccessEventFilterSet,
    export_filename,
    visible_events,
)
from wagtail_securelink.choices import EventType
from wagtail_securelink.core.paths import link_manage_path
from wagtail_securelink.core.spreadsheets import safe_cell
from wagtail_securelink.models import AccessEvent
from wagtail_securelink.permissions import user_can_manage_links

__all__ = ["ActivityReportView", "event_description"]


# Why a code request sent no code (``verification._prepare_code``). The visitor's page
# never says it (S7); the editor's report does.
NOT_SENT = {
    "cooldown": _("within the resend cooldown: no new code sent"),
    "hourly_cap": _("over the hourly limit: no new code sent"),
    "locked": _("the person is locked: no code sent"),
    "busy": _("no new code sent"),
}


def event_description(event) -> str:
    """The event's name, and for a code request that sent nothing, why."""
    label = str(event.get_event_display())
    reason = (event.detail or {}).get("not_sent") if event.detail else None
    if event.event == EventType.CODE_REQUESTED and reason in NOT_SENT:
        return f"{label} ({NOT_SENT[reason]})"
    return label


def _link_url(event):
    return link_manage_path(event.link) if event.link is not None else None


class ActivityReportView(ReportView):
    page_title = _("Secure link activity")
    header_icon = "link"
    filterset_class = AccessEventFilterSet
    index_url_name = "wagtail_securelink_admin:activity"
    index_results_url_name = "wagtail_securelink_admin:activity_results"
    model = AccessEvent
    paginate_by = 50
    # The trail grows without bound (SPEC §9: ten million events).
    paginator_class = CappedCountPaginator

    list_export = [
        "created_at",
        "event",
        "link_id",
        "target_title",
        "email",
        "user",
        "ip_address",
        "user_agent",
        "terms_version",
    ]
    export_headings = {
        "created_at": _("Date"),
        "event": _("Event"),
        "link_id": _("Link number"),
        "target_title": _("Shared item"),
        "email": _("Email address"),
        "user": _("User"),
        "ip_address": _("IP address"),
        "user_agent": _("User agent"),
        "terms_version": _("Terms version"),
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.custom_field_preprocess = {
            **self.custom_field_preprocess,
            "event": {
                self.FORMAT_CSV: self.event_label,
                self.FORMAT_XLSX: self.event_label,
            },
            "user": {
                self.FORMAT_CSV: self.user_label,
                self.FORMAT_XLSX: self.user_label,
            },
        }

    @staticmethod
    def event_label(value) -> str:
        return str(EventType(value).label) if value in EventType.values else value

    @staticmethod
    def user_label(user) -> str:
        return user.get_username() if user is not None else ""

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        if not user_can_manage_links(request.user):
            return forbidden(
                request, _("Sorry, you do not have permission to see this report.")
            )
        return super().dispatch(request, *args, **kwargs)

    def get_filename(self):
        return export_filename()

    def preprocess_field_value(self, field, value, export_format):
        value = super().preprocess_field_value(field, value, export_format)
        # XLSX needs nothing: Wagtail stores formula-looking cells there as text.
        return safe_cell(value) if export_format == self.FORMAT_CSV else value

    def get_queryset(self):
        return visible_events(self.request.user).select_related(
            "link", "user__wagtail_userprofile"
        )

    @property
    def columns(self):
        return [
            DateColumn("created_at", label=_("Date")),
            Column("event", label=_("Event"), accessor=event_description),
            TitleColumn(
                "link",
                label=_("Shared item"),
                accessor=lambda event: event.target_title or "—",
                get_url=_link_url,
            ),
            Column("email", label=_("Email address")),
            UserColumn("user", label=_("User")),
            Column("ip_address", label=_("IP address")),
        ]
