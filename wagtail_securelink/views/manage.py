"""Manage access (SPEC §5): every link on one document or collection, and its actions.

Thin views: who may do what is in ``permissions``; every change goes through
``services``. Each action is a POST of its own (a GET never changes
anything) answering with a redirect back to the page, or a 403 with no side effect.
"""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from .. import access_requests, languages, services
from ..admin_forms import AccessEndForm, AddRecipientsForm, ChangeExpiryForm
from ..choices import Audience, EventType, TargetType
from ..models import AccessEvent, DocumentVersion, Recipient, ShareLink
from ..permissions import user_can_manage_link, user_can_manage_target
from .admin import MANAGE_ICON, TargetMixin, forbidden, manage_url
from .privacy import privacy_context

__all__ = [
    "ManageDocumentAccessView",
    "ManageCollectionAccessView",
    "RevokeLinkView",
    "ChangeExpiryView",
    "AddRecipientsView",
    "RemoveRecipientView",
    "ResendInvitationView",
    "UnlockRecipientView",
    "RecipientAccessEndView",
]

# How far the one-click "extend" from the expiry notice pushes the date.
EXTEND_DAYS = 30


class ManageDocumentAccessView(TargetMixin, TemplateView):
    template_name = "wagtail_securelink/admin/manage.html"
    page_title = gettext_lazy("Manage access")
    header_icon = MANAGE_ICON
    header_title_document = gettext_lazy("Manage access to “%(title)s”")
    header_title_collection = gettext_lazy(
        "Manage access to the collection “%(title)s”"
    )

    def has_permission(self) -> bool:
        return user_can_manage_target(self.request.user, self.target)

    def get_links(self):
        field = (
            "collection" if self.target_type == TargetType.COLLECTION else "document"
        )
        return (
            ShareLink.objects.filter(
                target_type=self.target_type, **{field: self.target}
            )
            .select_related("created_by", "revoked_by")
            .prefetch_related(
                Prefetch("recipients", queryset=Recipient.objects.order_by("email")),
                "groups",
            )
            .order_by("-created_at", "-pk")
        )

    def _int_param(self, name):
        try:
            return int(self.request.GET.get(name, ""))
        except ValueError:
            return None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Prefills from the notification emails: "Add this person" (?link=&add=) and
        # "Extend" (?extend=<link id>). They only fill in a form; the editor submits it.
        add_to, add_email = self._int_param("link"), self.request.GET.get("add", "")
        extend = self._int_param("extend")
        now = timezone.now()
        policy = services.get_policy(self.request)
        rows = []
        links = list(self.get_links())
        undelivered = undelivered_invitations(links)
        # Open access requests, one query for every link of the page (issue 15).
        pending = access_requests.pending_for([link.pk for link in links])
        for link in links:
            base = max(link.expires_at or now, now)
            proposed = (base + datetime.timedelta(days=EXTEND_DAYS)).date()
            rows.append(
                {
                    "link": link,
                    "url": link.url,
                    "field_id": f"securelink-url-{link.pk}",
                    "recipients": list(link.recipients.all()),
                    "is_specific": link.audience == Audience.SPECIFIC,
                    "add_form": AddRecipientsForm(
                        prefix=f"add-{link.pk}",
                        initial={
                            "recipients": add_email[:254] if add_to == link.pk else ""
                        },
                    ),
                    "expiry_form": ChangeExpiryForm(
                        prefix=f"expiry-{link.pk}",
                        initial={
                            "expires_on": proposed
                            if extend == link.pk
                            else (
                                timezone.localtime(link.expires_at).date()
                                if link.expires_at
                                else None
                            )
                        },
                    ),
                    "highlight": link.pk in (add_to, extend),
                    "undelivered_invitations": undelivered,
                    "access_requests": [
                        {"row": r, "url": access_requests.review_path(r)}
                        for r in pending.get(link.pk, [])
                    ],
                    **self.policy_flags(link, policy, now),
                }
            )
        context.update(
            rows=rows,
            versions=self.get_versions(links),
            policy_anyone_max=policy.anyone_max_expiry_days,
            next_url=self.request.get_full_path(),
            media=ChangeExpiryForm().media,
            privacy=privacy_context(self.request.user, self.target),
        )
        return context

    @staticmethod
    def policy_flags(link, policy, now) -> dict:
        """What the current policy does to this link (§6), said before it bites."""
        if link.is_revoked:
            return {}
        effective = services.effective_expiry(link, policy)
        return {
            "stopped_by": services.stop_reason(link, policy),
            "effective_expires_at": effective,
            "shortened": effective != link.expires_at,
            "policy_expired": effective is not None and effective <= now,
            "refused_recipients": {
                r.email
                for r in link.recipients.all()
                if not services.address_allowed(r.email, policy)
            },
        }

    def get_versions(self, links):
        """Earlier files of the document; for a collection, those replaced through its
        links."""
        queryset = DocumentVersion.objects.select_related(
            "document", "link", "replaced_by_user"
        )
        if self.target_type == TargetType.COLLECTION:
            return list(queryset.filter(link__in=links))
        return list(queryset.filter(document=self.target))


class ManageCollectionAccessView(ManageDocumentAccessView):
    target_type = TargetType.COLLECTION


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
        return redirect(manage_url(target))

    def post(self, request, *args, **kwargs):
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
        return manage_url(target)

    def get(self, request, *args, **kwargs):
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


def undelivered_invitations(links) -> set[int]:
    """Recipients whose newest invitation could not be sent (SMTP refused it, or its
    worker died and the run again failed too): the sharer sees it beside *Resend*."""
    last = {}
    outcomes = (
        AccessEvent.objects.filter(
            link__in=links,
            event__in=[EventType.INVITATION_SENT, EventType.INVITATION_FAILED],
        )
        .order_by("created_at", "pk")
        .values_list("recipient_id", "event")
    )
    for recipient_id, event in outcomes:
        last[recipient_id] = event
    return {pk for pk, event in last.items() if event == EventType.INVITATION_FAILED}


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
