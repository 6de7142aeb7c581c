"""The *Who has access now* export: CSV or XLSX, streamed.

Thin: the rows are ``access_export``'s; this view checks who may ask and picks the
format. Reached from the People and Shared links areas.
"""

from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.utils.translation import gettext as _
from django.views import View

from wagtail_securelink.admin.views.base import forbidden
from wagtail_securelink.permissions import user_can_manage_links
from wagtail_securelink.sharing import access_export

__all__ = ["AccessExportView"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class AccessExportView(View):
    http_method_names = ["get"]

    def get(self, request: HttpRequest):
        if not user_can_manage_links(request.user):
            return forbidden(
                request, _("Sorry, you do not have permission to see who has access.")
            )
        kind = request.GET.get("format", "csv")
        people_only = request.GET.get("scope") == "people"
        if kind == "csv":
            response = StreamingHttpResponse(
                access_export.csv_stream(request.user, people_only=people_only),
                content_type="text/csv; charset=utf-8",
            )
            response["Content-Disposition"] = (
                f'attachment; filename="{access_export.filename("csv")}"'
            )
            return response
        if kind == "xlsx":
            return FileResponse(
                access_export.xlsx_file(request.user, people_only=people_only),
                as_attachment=True,
                filename=access_export.filename("xlsx"),
                content_type=XLSX,
            )
        return HttpResponseBadRequest(
            _("Unknown format: choose csv or xlsx."), content_type="text/plain"
        )
