"""Editor pages (SPEC §5). Thin: permissions in ``permissions``, every rule in ``services``.

How the Share button gets into Wagtail's own documents views
-----------------------------------------------------------

Wagtail 8 has no hook that adds buttons to the documents listing rows or to the
document edit header (pages and snippets have ``register_*_listing_buttons``;
documents do not). Instead of overriding Wagtail's templates (which would copy them and
break on the next release), we *subclass* Wagtail's own ``IndexView`` and ``EditView``
and add the button through the documented extension points of the generic views:

* ``EditView.header_buttons``, which the generic header renders;
* ``IndexView.get_list_more_buttons(instance)``, which the generic listing renders in
  the title cell of each row through ``ButtonsColumnMixin``. Wagtail's documents
  listing builds its own ``TitleColumn`` without that mixin, so ``columns`` gives that
  one column the mixin, and nothing else about the table changes.

``wagtail_hooks.register_admin_urls`` (with ``order=-1``, so it runs before
``wagtail.documents``'s hook) routes exactly three paths — ``documents/``,
``documents/results/`` and ``documents/edit/<id>/`` — to these subclasses, under our
own URL namespace. Django resolves the first pattern that matches, so those paths
reach our views; every other ``documents/…`` path still falls through to Wagtail's.
Since the namespace differs, ``reverse("wagtaildocs:index")`` and friends still
resolve to Wagtail's own pattern names, and give the very same URLs, so nothing that
links to those views needs to know we are there. Removing the app restores Wagtail's
views untouched.
"""

import copy
from dataclasses import asdict

from django.contrib.admin.utils import quote
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from wagtail.admin.ui.tables import ButtonsColumnMixin, TitleColumn
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.widgets import HeaderButton, ListingButton
from wagtail.documents import get_document_model
from wagtail.documents.views import documents as wagtail_document_views

from .. import services
from ..admin_forms import ShareDocumentForm
from ..choices import TargetType
from ..models import ShareLink
from ..permissions import (
    shareable_document_ids,
    user_can_share_document,
    user_can_share_documents,
)

__all__ = [
    "DocumentIndexView",
    "DocumentEditView",
    "ShareDocumentView",
    "ShareResultView",
    "share_document_url",
]

SHARE_ICON = "link"


def share_document_url(document) -> str:
    return reverse("wagtail_securelink_admin:share_document", args=[quote(document.pk)])


def _report_session_key(link) -> str:
    return f"wagtail_securelink.invitations.{link.pk}"


# Wagtail's documents views, with a Share button ----------------------------------


class DocumentIndexView(wagtail_document_views.IndexView):
    """Wagtail's documents listing, plus a Share button on each row the user may share."""

    shareable_ids = frozenset()

    @cached_property
    def columns(self):
        columns = super().columns
        if not user_can_share_documents(self.request.user):
            return columns
        return [
            self._with_row_buttons(column)
            if isinstance(column, TitleColumn)
            else column
            for column in columns
        ]

    def _with_row_buttons(self, column):
        """The same column, made to render ``get_list_buttons`` as the generic listing does."""
        if isinstance(column, ButtonsColumnMixin):
            return column  # a later Wagtail already renders the row buttons
        view = self

        class RowButtonsColumn(ButtonsColumnMixin, type(column)):
            def get_buttons(self, instance, parent_context):
                return view.get_list_buttons(instance)

        column = copy.copy(column)
        column.__class__ = RowButtonsColumn
        return column

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # One query for the whole page rather than one per row.
        self.shareable_ids = shareable_document_ids(
            self.request.user, context["object_list"]
        )
        return context

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if instance.pk in self.shareable_ids:
            buttons.append(
                ListingButton(
                    _("Share"),
                    url=share_document_url(instance),
                    icon_name=SHARE_ICON,
                    attrs={
                        "aria-label": _("Share '%(title)s'") % {"title": instance.title}
                    },
                    priority=5,
                )
            )
        return buttons


class DocumentEditView(wagtail_document_views.EditView):
    """Wagtail's document edit view, plus a Share button in the header."""

    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if user_can_share_document(self.request.user, self.object):
            buttons.append(
                HeaderButton(
                    _("Share"),
                    url=share_document_url(self.object),
                    icon_name=SHARE_ICON,
                )
            )
        return buttons


# Our own pages --------------------------------------------------------------------


class DocumentShareMixin(WagtailAdminTemplateMixin):
    header_icon = SHARE_ICON

    def get_document(self):
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        self.document = self.get_document()
        # The same rule as the Share button: add_sharelink and "change" on the document
        # under Wagtail's collection policy. Nothing is created on refusal. Wagtail's
        # admin turns PermissionDenied into a redirect to the dashboard; we answer
        # with an honest 403 in the admin's own frame instead.
        if not user_can_share_document(request.user, self.document):
            return TemplateResponse(
                request,
                "wagtail_securelink/admin/permission_denied.html",
                {"page_title": _("Share"), "header_title": _("Share")},
                status=403,
            )
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.document.title

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("wagtaildocs:index"), "label": _("Documents")},
            {
                "url": reverse("wagtaildocs:edit", args=[quote(self.document.pk)]),
                "label": self.document.title,
            },
            {"url": "", "label": self.get_page_title()},
        ]


class ShareDocumentView(DocumentShareMixin, FormView):
    """The share form: who, what they may do, until when; then the result page."""

    form_class = ShareDocumentForm
    template_name = "wagtail_securelink/admin/share_form.html"
    page_title = gettext_lazy("Share")

    def get_document(self):
        return get_object_or_404(get_document_model(), pk=self.kwargs["document_id"])

    def get_initial(self):
        return {"role": services.get_policy().default_role, "send_invitations": True}

    def form_valid(self, form):
        try:
            link = services.create_link(
                target=self.document,
                created_by=self.request.user,
                recipients=form.cleaned_data["recipients"],
                role=form.cleaned_data["role"],
                expires_at=form.expires_at(),
                message=form.cleaned_data["message"],
                send_invitations=form.cleaned_data["send_invitations"],
                request=self.request,
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
        )
        return context


class ShareResultView(DocumentShareMixin, TemplateView):
    """The new link, ready to copy, and who was emailed."""

    template_name = "wagtail_securelink/admin/share_result.html"
    page_title = gettext_lazy("Shared")

    def get_document(self):
        self.link = get_object_or_404(
            ShareLink.objects.select_related("document"),
            pk=self.kwargs["link_id"],
            target_type=TargetType.DOCUMENT,
            document__isnull=False,
        )
        return self.link.document

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report = self.request.session.pop(_report_session_key(self.link), None)
        context.update(
            link=self.link,
            document=self.document,
            link_url=self.link.url,
            recipients=[r.email for r in self.link.recipients.all()],
            report=report,
        )
        return context
