"""Manage access (SPEC §5): every link on one document or collection, with its people,
its forms and what the current policy does to it. The forms post to the actions in
``views.link_actions``; the privacy part is ``views.privacy``.
"""

import datetime

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from wagtail_securelink import services
from wagtail_securelink.admin.forms import AddRecipientsForm, ChangeExpiryForm
from wagtail_securelink.admin.views.base import MANAGE_ICON, TargetMixin
from wagtail_securelink.admin.views.privacy import privacy_context
from wagtail_securelink.choices import Audience, EventType, Role, TargetType
from wagtail_securelink.models import AccessEvent, DocumentVersion, Recipient, ShareLink
from wagtail_securelink.permissions import user_can_manage_target
from wagtail_securelink.sharing import access_requests

__all__ = [
    "ManageDocumentAccessView",
    "ManageCollectionAccessView",
    "ManagePageAccessView",
    "undelivered_invitations",
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
        field = {
            TargetType.COLLECTION: "collection",
            TargetType.PAGE: "page",
        }.get(self.target_type, "document")
        return (
            ShareLink.objects.filter(
                target_type=self.target_type, **{field: self.target}
            )
            .with_status(policy=services.current_policy(self.request))
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
        policy = services.current_policy(self.request)
        rows = []
        links = list(self.get_links())
        undelivered = undelivered_invitations(links)
        # Open access requests, one query for every link of the page.
        pending = access_requests.pending_for([link.pk for link in links])
        comments = self.get_comments(links)
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
                    "view_only": Role.is_view_only(link.role),
                    "watermarked": link.watermarks_pages(policy),
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
                    "comments": comments.get(link.pk, []),
                    **self.policy_flags(link, policy, now),
                }
            )
        context.update(
            rows=rows,
            versions=self.get_versions(links),
            policy_anyone_max=policy.anyone_max_expiry_days,
            next_url=self.request.get_full_path(),
            media=ChangeExpiryForm().media,
            privacy=self.get_privacy(),
        )
        return context

    @staticmethod
    def policy_flags(link, policy, now) -> dict:
        """What the current policy does to this link (§6), said before it bites."""
        if link.is_revoked:
            return {}
        effective = link.effective_expiry(policy)
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

    def get_privacy(self):
        return privacy_context(self.request.user, self.target)

    def get_comments(self, links) -> dict:
        return {}

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


class ManagePageAccessView(ManageDocumentAccessView):
    """The preview links of one page: a draft has no privacy to change and no files."""

    target_type = TargetType.PAGE
    header_title_page = gettext_lazy("Manage access to the preview of “%(title)s”")

    def get_privacy(self):
        return None

    def get_versions(self, links):
        return []

    def get_comments(self, links) -> dict:
        """The reviewers' comments on each link, newest first (shown escaped)."""
        return services.comments_for(link.pk for link in links)


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
