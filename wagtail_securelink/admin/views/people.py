"""One person's page in the People area, and the per-person actions.

Thin views: the rows an editor reaches are ``services.recipients_of`` (links they may
manage); every change goes through ``services``. Each action is a POST of its own,
answering with a redirect, or a clear 4xx with no side effect.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from wagtail_securelink import services
from wagtail_securelink.admin.forms import AccessEndForm
from wagtail_securelink.admin.people import person_url
from wagtail_securelink.admin.views.base import forbidden
from wagtail_securelink.core.paths import link_manage_path
from wagtail_securelink.permissions import user_can_manage_links

__all__ = ["PersonView", "PersonActionView"]

ACTIONS = ("remove", "unlock", "resend", "access_end", "remove_passkeys")


def _address(request: HttpRequest, data) -> str:
    try:
        return services.normalise_email(data.get("email", ""))
    except ValidationError:
        return ""


class PeopleAccessMixin:
    def dispatch(self, request: HttpRequest, *args, **kwargs):
        if not user_can_manage_links(request.user):
            return forbidden(
                request, _("Sorry, you do not have permission to manage people.")
            )
        return super().dispatch(request, *args, **kwargs)


class PersonView(PeopleAccessMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "wagtail_securelink/admin/person.html"
    page_title = gettext_lazy("Person")
    header_icon = "user"

    def get(self, request: HttpRequest, *args, **kwargs):
        self.email = _address(request, request.GET)
        rows = list(
            services.recipients_of(request.user, [self.email])
            .select_related("link", "link__created_by")
            .order_by("link__target_title", "link_id")
        )
        if not self.email or not rows:
            # Unknown, malformed or out of this editor's reach: the same answer.
            response = TemplateResponse(
                request,
                "wagtail_securelink/admin/permission_denied.html",
                {
                    "page_title": _("Not found"),
                    "header_title": _("Not found"),
                    "message": _("Nobody with this address is on a link you manage."),
                },
                status=404,
            )
            return response
        policy = services.current_policy(request)
        context = self.get_context_data(
            rows=[
                {
                    "recipient": r,
                    "manage_url": link_manage_path(r.link),
                    "status": r.link.get_status_display(policy),
                }
                for r in rows
            ],
            email=self.email,
            passkeys=list(services.passkeys_of(self.email)),
            access_end_form=AccessEndForm(),
            activity_url=reverse("wagtail_securelink_admin:activity")
            + "?"
            + urlencode({"email": self.email}),
        )
        return self.render_to_response(context)

    def get_page_subtitle(self):
        return getattr(self, "email", "")

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("wagtail_securelink_people:index"), "label": _("People")},
            {"url": "", "label": self.get_page_subtitle()},
        ]


class PersonActionView(PeopleAccessMixin, View):
    """POST ``email`` (one or more) and ``action``: the same actions as the bulk ones."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs):
        action = request.POST.get("action", "")
        emails = []
        for raw in request.POST.getlist("email"):
            try:
                emails.append(services.normalise_email(raw))
            except ValidationError:
                pass
        rows = services.recipients_of(request.user, emails)
        if action not in ACTIONS or not emails or not rows.exists():
            return TemplateResponse(
                request,
                "wagtail_securelink/admin/permission_denied.html",
                {
                    "page_title": _("Nothing to do"),
                    "header_title": _("Nothing to do"),
                    "message": _("Nobody with this address is on a link you manage."),
                },
                status=400 if action not in ACTIONS else 404,
            )
        kwargs = {"user": request.user, "request": request}
        back = person_url(emails[0]) if len(emails) == 1 else None
        try:
            if action == "remove":
                count = services.remove_people(rows, **kwargs)
                messages.success(
                    request,
                    ngettext(
                        "Removed from %(count)s link; the activity report keeps "
                        "their history.",
                        "Removed from %(count)s links; the activity report keeps "
                        "their history.",
                        count,
                    )
                    % {"count": count},
                )
                back = None
            elif action == "remove_passkeys":
                count = sum(services.remove_passkeys(e, **kwargs) for e in emails)
                messages.success(
                    request,
                    ngettext(
                        "%(count)s passkey removed: their next visit needs a code.",
                        "%(count)s passkeys removed: their next visit needs a code.",
                        count,
                    )
                    % {"count": count},
                )
            elif action == "unlock":
                count = services.unlock_people(rows, **kwargs)
                messages.success(
                    request,
                    ngettext(
                        "Unlocked on %(count)s link.",
                        "Unlocked on %(count)s links.",
                        count,
                    )
                    % {"count": count},
                )
            elif action == "resend":
                count = services.resend_to_people(rows, **kwargs)
                messages.success(
                    request,
                    ngettext(
                        "%(count)s invitation sent again.",
                        "%(count)s invitations sent again.",
                        count,
                    )
                    % {"count": count},
                )
            else:
                form = AccessEndForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(
                        [e for errors in form.errors.values() for e in errors]
                    )
                services.set_access_end(rows, form.expires_at(), **kwargs)
                messages.success(
                    request,
                    _("Their access now ends on %(date)s.")
                    % {"date": form.cleaned_data["access_until"].isoformat()}
                    if form.expires_at()
                    else _("Their access now lasts as long as each link."),
                )
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        if back:
            return HttpResponseRedirect(back)
        return redirect("wagtail_securelink_people:index")
