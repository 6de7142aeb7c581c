"""``/securelink/events/``: the *Secure link activity* report's events, paginated.

The same rows the report shows the token's user (``reports.visible_events``) through
the report's own filter set (``reports.AccessEventFilterSet``), so the two never drift.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate

from ..permissions import user_can_manage_links
from ..reports import AccessEventFilterSet, visible_events
from .auth import SecureLinkTokenAuth
from .pagination import Pagination
from .schemas import EventFilterSchema, EventSchema

__all__ = ["router"]

router = Router(tags=["secure links"], auth=SecureLinkTokenAuth())


@router.get(
    "/",
    response={200: list[EventSchema], 401: dict, 403: dict, 422: dict, 429: dict},
    url_name="securelink_list_events",
    operation_id="securelink_events_list",
    summary="List access events (the activity report)",
)
@paginate(Pagination)
def list_events(request: HttpRequest, filters: Query[EventFilterSchema]):
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
