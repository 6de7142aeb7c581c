"""The share form and its result page (SPEC §5), and the page that lists the
collections a user may share. Thin: permissions in ``permissions``, every rule in
``services``; the form is ``admin_forms.ShareForm``.
"""

from dataclasses import asdict

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404, redirect
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from wagtail_securelink import services
from wagtail_securelink.admin.forms import ShareForm
from wagtail_securelink.admin.views.base import TargetMixin, forbidden, share_url
from wagtail_securelink.choices import TargetType
from wagtail_securelink.core import languages
from wagtail_securelink.core.paths import manage_access_path
from wagtail_securelink.models import ShareLink
from wagtail_securelink.permissions import ADD_SHARELINK, shareable_collections

__all__ = [
    "ShareDocumentView",
    "ShareCollectionView",
    "SharePageView",
    "ShareResultView",
    "CollectionListView",
]

# How many live pages using the item the share form names.
PAGES_SHOWN = 10


def _report_session_key(link) -> str:
    return f"wagtail_securelink.invitations.{link.pk}"


class ShareDocumentView(TargetMixin, FormView):
    """The share form: who, what they may do, until when; then the result page."""

    form_class = ShareForm
    template_name = "wagtail_securelink/admin/share_form.html"
    page_title = gettext_lazy("Share")

    @cached_property
    def privacy(self) -> dict:
        """The item's privacy today and the live pages that use it (S16)."""
        if self.target_type == TargetType.PAGE:
            return {"state": None, "pages": [], "offer_keep_public": False}
        state = services.item_state(self.target)
        pages = list(services.live_pages_using(self.target)[: PAGES_SHOWN + 1])
        return {
            "state": state,
            "pages": pages[:PAGES_SHOWN],
            "more_pages": len(pages) > PAGES_SHOWN,
            "offer_keep_public": not state.private
            and services.current_policy(self.request).private_by_default,
        }

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(
            policy=services.current_policy(self.request),
            target_type=self.target_type,
            offer_keep_public=self.privacy["offer_keep_public"],
        )
        return kwargs

    def get_initial(self):
        policy = services.current_policy(self.request)
        initial = {
            "audience": policy.default_audience,
            "role": policy.default_role,
            "send_invitations": True,
            "include_descendants": True,
            # Default off, unless live pages use it: sharing must not silently
            # break a published page's download link.
            "keep_public": bool(self.privacy["pages"]),
            # The recipients' language: the sharer's own unless they choose another.
            "language": languages.sharer_language(),
        }
        # "Add this person" from a forward-attempt notification prefills the address;
        # the editor still reviews and submits the normal form (GET changes nothing).
        if self.request.GET.get("recipients"):
            initial["recipients"] = self.request.GET["recipients"][:2000]
            initial["audience"] = "specific"
        return initial

    def form_valid(self, form):
        try:
            link = services.create_link(
                target=self.target,
                created_by=self.request.user,
                request=self.request,
                **form.service_kwargs(),
            )
        except ValidationError as error:
            form.add_service_errors(error)
            return self.form_invalid(form)
        report = getattr(link, "invitations", None)
        if report is not None:
            # Shown once on the result page; a reload must not create a second link.
            self.request.session[_report_session_key(link)] = asdict(report)
        return redirect("wagtail_securelink_admin:share_result", link_id=link.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        context.update(
            document=self.document,
            action_url=self.request.get_full_path(),
            submit_button_label=_("Share"),
            submit_button_active_label=_("Sharing…"),
            media=form.media,
            privacy=self.privacy,
        )
        return context


class ShareCollectionView(ShareDocumentView):
    target_type = TargetType.COLLECTION


class SharePageView(ShareDocumentView):
    """The share form for a preview of a page: who may review, until when, and
    whether they follow the draft or see the revision of today."""

    target_type = TargetType.PAGE
    page_title = gettext_lazy("Share a preview")

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        self.target = self.get_target()
        if not self.has_permission():
            return forbidden(
                request, _("Sorry, you may share previews only of pages you may edit.")
            )
        if not services.current_policy(request).allow_page_previews:
            return forbidden(
                request, _("The site's policy does not allow sharing page previews.")
            )
        return super(TargetMixin, self).dispatch(request, *args, **kwargs)

    def get_initial(self):
        initial = super().get_initial()
        initial.update(audience="specific", role="view", page_version="latest")
        return initial


class ShareResultView(TargetMixin, TemplateView):
    """The new link, ready to copy, and who was emailed."""

    template_name = "wagtail_securelink/admin/share_result.html"
    page_title = gettext_lazy("Shared")
    header_title_document = gettext_lazy("Shared “%(title)s”")
    header_title_collection = gettext_lazy("Shared the collection “%(title)s”")
    header_title_page = gettext_lazy("Shared a preview of “%(title)s”")

    def get_target(self):
        self.link = get_object_or_404(
            ShareLink.objects.select_related("document", "collection", "page"),
            pk=self.kwargs["link_id"],
        )
        self.target_type = self.link.target_type
        if self.link.target is None:
            raise Http404
        return self.link.target

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report = self.request.session.pop(_report_session_key(self.link), None)
        context.update(
            link=self.link,
            document=self.document,
            link_url=self.link.url,
            recipients=[r.email for r in self.link.recipients.all()],
            report=report,
            privacy_state=None
            if self.target_type == TargetType.PAGE
            else services.item_state(self.link.target),
        )
        return context


class CollectionListView(WagtailAdminTemplateMixin, TemplateView):
    """The collections the user may share, each with Share and Manage access.

    Wagtail 8 offers no hook for buttons on its collections listing and its URLs
    cannot be fronted (core mounts them before any hook), so collections are shared
    from this page, reached from the Shared links area.
    """

    template_name = "wagtail_securelink/admin/collections.html"
    page_title = gettext_lazy("Share a collection")
    header_icon = "folder-open-1"

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        if not request.user.has_perm(ADD_SHARELINK):
            return forbidden(request)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        # Without its own crumb the header would show the last inherited one, "Home".
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        collections = shareable_collections(self.request.user).filter(depth__gt=1)
        context["collections"] = [
            {
                "collection": collection,
                "share_url": share_url(collection),
                "manage_url": manage_access_path(collection),
            }
            for collection in collections.order_by("path")
        ]
        return context
