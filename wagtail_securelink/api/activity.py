"""``/securelink/events/``: the *Secure link activity* report's events, paginated JSON,
and ``/securelink/events/csv/``: the same rows as one streamed CSV file.

The same rows the report shows the token's user (``audit.activity.visible_events``) through
the report's own filter set (``audit.activity.AccessEventFilterSet``), so the two never drift.
The CSV is a separate operation rather than ``?format=csv`` on the list: it has its
own ``text/csv`` answer in the OpenAPI schema and no ``limit``/``offset`` (it holds
every matching row, read with ``.iterator()`` so memory stays flat). Its columns are
the JSON fields and each cell the JSON value as text (``detail`` as JSON), made
spreadsheet-safe by ``spreadsheets.csv_lines``.
"""

from collections.abc import Iterator

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import NinjaJSONEncoder

from wagtail_securelink.api.auth import SecureLinkTokenAuth
from wagtail_securelink.api.schemas import EventFilterSchema, EventSchema, Pagination
from wagtail_securelink.audit.activity import (
    AccessEventFilterSet,
    export_filename,
    visible_events,
)
from wagtail_securelink.core.spreadsheets import csv_lines
from wagtail_securelink.permissions import user_can_manage_links

__all__ = ["CSV_COLUMNS", "router"]

router = Router(tags=["secure links"], auth=SecureLinkTokenAuth())
PROBLEMS = {401: dict, 403: dict, 422: dict, 429: dict}
CSV_COLUMNS = list(EventSchema.model_fields)
_JSON = NinjaJSONEncoder(separators=(",", ":"))


def _filtered_events(request: HttpRequest, filters: EventFilterSchema) -> QuerySet:
    """The events the token's user may read, through the report's filters (or a 422)."""
    if not user_can_manage_links(request.user):
        raise PermissionDenied(_("This token's user may not read the activity report."))
    data = {
        "created_at_from": filters.date_from,
        "created_at_to": filters.date_to,
        "link": filters.link,
        "item": filters.item,
        "email": filters.email,
        "event": filters.event or None,
    }
    filterset = AccessEventFilterSet(
        data={key: value for key, value in data.items() if value is not None},
        queryset=visible_events(request.user).select_related("link", "user"),
    )
    if not filterset.is_valid():
        raise ValidationError(
            [
                f"{field}: {error}"
                for field, errors in filterset.errors.items()
                for error in errors
            ]
        )
    return filterset.qs


@router.get(
    "/",
    response={200: list[EventSchema], **PROBLEMS},
    url_name="securelink_list_events",
    operation_id="securelink_events_list",
    summary="List access events (the activity report)",
)
@paginate(Pagination)
def list_events(request: HttpRequest, filters: Query[EventFilterSchema]):
    return _filtered_events(request, filters)


def _cell(value):
    """A field of ``EventSchema`` as the JSON answer writes it, as CSV text."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return _JSON.encode(value)
    if isinstance(value, (str, int)):
        return value
    return _JSON.default(value)  # datetimes: the JSON answer's ISO 8601 form


def _csv_rows(events: QuerySet) -> Iterator[list]:
    for event in events.iterator():
        row = EventSchema.from_orm(event).model_dump()
        yield [_cell(row[column]) for column in CSV_COLUMNS]


@router.get(
    "/csv/",
    response={200: None, **PROBLEMS},
    openapi_extra={
        "responses": {
            200: {
                "description": "Every matching event, newest first, one per line "
                "after a heading line (streamed)",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
    url_name="securelink_export_events",
    operation_id="securelink_events_csv",
    summary="Download access events as CSV (the activity report's export)",
)
def export_events(
    request: HttpRequest, filters: Query[EventFilterSchema]
) -> StreamingHttpResponse:
    # Permission and filters are checked here, before the first byte is sent: an
    # error is a problem response, never a half-written file.
    events = _filtered_events(request, filters)
    response = StreamingHttpResponse(
        csv_lines(CSV_COLUMNS, _csv_rows(events)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{export_filename()}.csv"'
    return response
