"""The sharer's Approve / Decline page for an access request, reached from their email.

Thin: ``sharing.access_requests`` does the work.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from wagtail_securelink.admin.views.base import forbidden
from wagtail_securelink.core.paths import manage_access_path
from wagtail_securelink.models import AccessRequest
from wagtail_securelink.permissions import user_can_manage_link
from wagtail_securelink.sharing import access_requests

__all__ = ["AccessRequestView"]


def _not_found(request: HttpRequest):
    return TemplateResponse(
        request,
        "wagtail_securelink/admin/permission_denied.html",
        {
            "page_title": _("Not found"),
            "header_title": _("Not found"),
            "message": _(
                "This request link is not valid any more. Open Manage access to see "
                "the requests that are still open."
            ),
        },
        status=404,
    )


class AccessRequestView(WagtailAdminTemplateMixin, TemplateView):
    """The request, with Approve and Decline (POST), reached from the sharer's email."""

    template_name = "wagtail_securelink/admin/access_request.html"
    page_title = gettext_lazy("Access request")
    header_icon = "mail"

    def dispatch(self, request: HttpRequest, signed):
        pk = access_requests.unsign(signed)
        if pk is None:
            return _not_found(request)
        self.access_request = get_object_or_404(
            AccessRequest.objects.select_related("link"), pk=pk
        )
        if not user_can_manage_link(request.user, self.access_request.link):
            return forbidden(
                request, _("Sorry, you do not have permission to manage this link.")
            )
        return super().dispatch(request, signed)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        row = self.access_request
        return super().get_context_data(
            access_request=row,
            link=row.link,
            chosen=self.request.GET.get("action", ""),
            manage_url=manage_access_path(row.link.target) if row.link.target else "",
            **kwargs,
        )

    def post(self, request: HttpRequest, signed):
        action = request.POST.get("action")
        row = self.access_request
        try:
            if action == "approve":
                access_requests.approve(row, user=request.user, request=request)
                messages.success(
                    request,
                    _("%(email)s was added and invited.") % {"email": row.email},
                )
            elif action == "decline":
                access_requests.decline(row, user=request.user, request=request)
                messages.success(
                    request,
                    _("The request of %(email)s was declined; they were told.")
                    % {"email": row.email},
                )
            else:
                return self.render_to_response(self.get_context_data(), status=400)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
            return self.render_to_response(self.get_context_data(), status=409)
        target = row.link.target
        if target is None:
            return HttpResponseRedirect(reverse("wagtail_securelink_sharelink:index"))
        return HttpResponseRedirect(manage_access_path(target) + f"#link-{row.link_id}")
