"""The actions of Manage access on one link or one of its people (SPEC §5): revoke,
change the expiry, add people, remove, resend, unlock, set one person's end of access.

Thin views: who may do what is in ``permissions``; every change goes through
``services``. Each action is a POST of its own (a GET never changes
anything) answering with a redirect back to the page, or a 403 with no side effect.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from wagtail_securelink import services
from wagtail_securelink.admin.forms import (
    AccessEndForm,
    AddRecipientsForm,
    ChangeExpiryForm,
)
from wagtail_securelink.admin.views.base import forbidden
from wagtail_securelink.core import languages
from wagtail_securelink.core.paths import manage_access_path
from wagtail_securelink.models import Recipient, ShareLink
from wagtail_securelink.permissions import user_can_manage_link

__all__ = [
    "LinkActionView",
    "RevokeLinkView",
    "ChangeExpiryView",
    "AddRecipientsView",
    "RemoveRecipientView",
    "ResendInvitationView",
    "UnlockRecipientView",
    "RecipientAccessEndView",
]


class LinkActionView(View):
    """POST-only action on one link (or one recipient of a link)."""

    http_method_names = ["post"]
    success_message = ""

    def get_link(self):
        self.recipient = None
        if "recipient_id" in self.kwargs:
            self.recipient = get_object_or_404(
                Recipient.objects.select_related("link"), pk=self.kwargs["recipient_id"]
            )
            return self.recipient.link
        return get_object_or_404(ShareLink, pk=self.kwargs["link_id"])

    def back(self):
        target = self.link.target
        next_url = self.request.POST.get("next", "")
        if next_url and url_has_allowed_host_and_scheme(
            next_url, {self.request.get_host()}, self.request.is_secure()
        ):
            return redirect(next_url)
        if target is None:
            return redirect("wagtail_securelink_sharelink:index")
        return redirect(manage_access_path(target))

    def post(self, request: HttpRequest, *args, **kwargs):
        self.link = self.get_link()
        if not user_can_manage_link(request.user, self.link):
            return forbidden(
                request, _("Sorry, you do not have permission to manage this link.")
            )
        try:
            message = self.perform()
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            if message:
                messages.success(request, message)
        return self.back()

    def perform(self) -> str:
        raise NotImplementedError


class RevokeLinkView(WagtailAdminTemplateMixin, LinkActionView):
    """GET asks "are you sure?" (the button on Manage access is a link to this page, so
    the step works without JavaScript); the POST revokes, as the bulk action does after
    its own confirmation page."""

    http_method_names = ["get", "post"]
    template_name = "wagtail_securelink/admin/confirm_revoke.html"
    page_title = gettext_lazy("Revoke link")
    header_icon = "warning"

    def safe_next(self) -> str:
        next_url = self.request.GET.get("next", "")
        if next_url and url_has_allowed_host_and_scheme(
            next_url, {self.request.get_host()}, self.request.is_secure()
        ):
            return next_url
        target = self.link.target
        if target is None:
            return reverse("wagtail_securelink_sharelink:index")
        return manage_access_path(target)

    def get(self, request: HttpRequest, *args, **kwargs):
        self.link = self.get_link()
        if not user_can_manage_link(request.user, self.link):
            return forbidden(
                request, _("Sorry, you do not have permission to manage this link.")
            )
        if self.link.is_revoked:
            messages.info(request, _("This link was already revoked."))
            return redirect(self.safe_next())
        return self.render_to_response(self.get_context_data())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        next_url = self.safe_next()
        context.update(
            link=self.link,
            recipient_count=self.link.recipients.count(),
            action_url=self.request.path,
            next_url=next_url,
            cancel_url=next_url,
        )
        return context

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": self.safe_next(), "label": self.link.target_title},
            {"url": "", "label": self.get_page_title()},
        ]

    def perform(self):
        services.revoke_link(self.link, user=self.request.user, request=self.request)
        return _("The link was revoked: nobody can open it any more.")


class ChangeExpiryView(LinkActionView):
    def perform(self):
        form = ChangeExpiryForm(self.request.POST, prefix=f"expiry-{self.link.pk}")
        if not form.is_valid():
            raise ValidationError(
                [e for errors in form.errors.values() for e in errors]
            )
        services.change_expiry(
            self.link, form.expires_at(), user=self.request.user, request=self.request
        )
        if self.link.expires_at is None:
            return _("The link no longer expires.")
        return _("The link now expires on %(date)s.") % {
            "date": timezone.localtime(self.link.expires_at).date().isoformat()
        }


class AddRecipientsView(LinkActionView):
    def perform(self):
        form = AddRecipientsForm(self.request.POST, prefix=f"add-{self.link.pk}")
        if not form.is_valid():
            raise ValidationError(
                [e for errors in form.errors.values() for e in errors]
            )
        rows = services.add_recipients(
            self.link,
            form.cleaned_data["recipients"],
            added_by=self.request.user,
            send_invitations=form.cleaned_data["send_invitations"],
            language=languages.sharer_language(),
            expires_at=form.expires_at(),
            request=self.request,
        )
        if not rows:
            return _("Those people already had access.")
        return ngettext(
            "%(count)s person was added.", "%(count)s people were added.", len(rows)
        ) % {"count": len(rows)}


class RemoveRecipientView(LinkActionView):
    def perform(self):
        email = self.recipient.email
        services.remove_recipient(
            self.recipient, user=self.request.user, request=self.request
        )
        return _("%(email)s can no longer open the link.") % {"email": email}


class ResendInvitationView(LinkActionView):
    def perform(self):
        report = services.resend_invitation(
            self.recipient, user=self.request.user, request=self.request
        )
        if report.failed:
            raise ValidationError(
                _("The invitation to %(email)s could not be sent.")
                % {"email": self.recipient.email}
            )
        return _("The invitation was sent again to %(email)s.") % {
            "email": self.recipient.email
        }


class UnlockRecipientView(LinkActionView):
    def perform(self):
        services.unlock_recipient(
            self.recipient, user=self.request.user, request=self.request
        )
        return _("%(email)s may ask for a code again.") % {
            "email": self.recipient.email
        }


class RecipientAccessEndView(LinkActionView):
    """Set or clear one person's own end of access on this link ("access until")."""

    def perform(self):
        form = AccessEndForm(self.request.POST, prefix=f"until-{self.recipient.pk}")
        if not form.is_valid():
            raise ValidationError(
                [e for errors in form.errors.values() for e in errors]
            )
        services.set_access_end(
            Recipient.objects.filter(pk=self.recipient.pk),
            form.expires_at(),
            user=self.request.user,
            request=self.request,
        )
        if form.expires_at() is None:
            return _("%(email)s has access as long as the link works.") % {
                "email": self.recipient.email
            }
        return _("%(email)s has access until %(date)s.") % {
            "email": self.recipient.email,
            "date": form.cleaned_data["access_until"].isoformat(),
        }
