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
from django.http import Http404
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
from wagtail.models import Collection

from .. import languages, services
from ..admin_forms import ShareForm
from ..admin_paths import manage_access_path
from ..choices import TargetType
from ..models import ShareLink
from ..permissions import (
    ADD_SHARELINK,
    shareable_collections,
    shareable_document_ids,
    user_can_share_document,
    user_can_share_documents,
    user_can_share_target,
)

__all__ = [
    "DocumentIndexView",
    "DocumentEditView",
    "ShareDocumentView",
    "ShareCollectionView",
    "ShareResultView",
    "CollectionListView",
    "share_document_url",
    "share_url",
    "manage_url",
    "forbidden",
]

SHARE_ICON = "link"
MANAGE_ICON = "key"
# How many live pages using the item the share form names.
PAGES_SHOWN = 10


def share_document_url(document) -> str:
    return reverse("wagtail_securelink_admin:share_document", args=[quote(document.pk)])


def share_url(target) -> str:
    if isinstance(target, Collection):
        return reverse(
            "wagtail_securelink_admin:share_collection", args=[quote(target.pk)]
        )
    return share_document_url(target)


manage_url = manage_access_path


def target_edit_url(target) -> str:
    if isinstance(target, Collection):
        return reverse("wagtailadmin_collections:edit", args=[quote(target.pk)])
    return reverse("wagtaildocs:edit", args=[quote(target.pk)])


def forbidden(request, message=None):
    """An honest 403 in the admin's own frame.

    Wagtail's admin turns ``PermissionDenied`` into a redirect to the dashboard; for
    these pages we prefer a status code that says what happened. Nothing is changed.
    """
    return TemplateResponse(
        request,
        "wagtail_securelink/admin/permission_denied.html",
        {
            "page_title": _("Permission denied"),
            "header_title": _("Permission denied"),
            "message": message
            or _("Sorry, you do not have permission to share this item."),
        },
        status=403,
    )


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
            buttons.append(
                ListingButton(
                    _("Manage access"),
                    url=manage_url(instance),
                    icon_name=MANAGE_ICON,
                    attrs={
                        "aria-label": _("Manage access to '%(title)s'")
                        % {"title": instance.title}
                    },
                    priority=6,
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
            buttons.append(
                HeaderButton(
                    _("Manage access"),
                    url=manage_url(self.object),
                    icon_name=MANAGE_ICON,
                )
            )
        return buttons


# Our own pages --------------------------------------------------------------------


class TargetMixin(WagtailAdminTemplateMixin):
    """Loads the document or collection of the URL and refuses (403) users who may not share it."""

    header_icon = SHARE_ICON
    target_type = TargetType.DOCUMENT
    # The header names what the page is about, e.g. "Manage access to “Contracts”".
    header_title_document = gettext_lazy("Share “%(title)s”")
    header_title_collection = gettext_lazy("Share the collection “%(title)s”")

    def get_target(self):
        if self.target_type == TargetType.COLLECTION:
            return get_object_or_404(
                Collection, pk=self.kwargs["collection_id"], depth__gt=1
            )
        return get_object_or_404(get_document_model(), pk=self.kwargs["document_id"])

    def has_permission(self) -> bool:
        return user_can_share_target(self.request.user, self.target)

    def dispatch(self, request, *args, **kwargs):
        self.target = self.get_target()
        if not self.has_permission():
            return forbidden(request)
        return super().dispatch(request, *args, **kwargs)

    @property
    def document(self):
        return self.target if self.target_type == TargetType.DOCUMENT else None

    def get_page_subtitle(self):
        return str(self.target)

    def get_header_title(self):
        if self.target_type == TargetType.COLLECTION:
            template = self.header_title_collection
        else:
            template = self.header_title_document
        return template % {"title": self.target}

    def get_breadcrumbs_items(self):
        if self.target_type == TargetType.COLLECTION:
            parent = {
                "url": reverse("wagtail_securelink_admin:collections"),
                "label": _("Share a collection"),
            }
        else:
            parent = {"url": reverse("wagtaildocs:index"), "label": _("Documents")}
        return [
            *self.breadcrumbs_items,
            parent,
            {"url": target_edit_url(self.target), "label": str(self.target)},
            # The last crumb is the header Wagtail shows: it names the item.
            {"url": "", "label": self.get_header_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            target=self.target,
            target_type=self.target_type,
            is_collection=self.target_type == TargetType.COLLECTION,
            target_edit_url=target_edit_url(self.target),
            share_url=share_url(self.target),
            manage_url=manage_url(self.target),
        )
        return context


class ShareDocumentView(TargetMixin, FormView):
    """The share form: who, what they may do, until when; then the result page."""

    form_class = ShareForm
    template_name = "wagtail_securelink/admin/share_form.html"
    page_title = gettext_lazy("Share")

    @cached_property
    def privacy(self) -> dict:
        """The item's privacy today and the live pages that use it (S16)."""
        state = services.item_state(self.target)
        pages = list(services.live_pages_using(self.target)[: PAGES_SHOWN + 1])
        return {
            "state": state,
            "pages": pages[:PAGES_SHOWN],
            "more_pages": len(pages) > PAGES_SHOWN,
            "offer_keep_public": not state.private
            and services.get_policy(self.request).private_by_default,
        }

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(
            policy=services.get_policy(self.request),
            target_type=self.target_type,
            offer_keep_public=self.privacy["offer_keep_public"],
        )
        return kwargs

    def get_initial(self):
        policy = services.get_policy(self.request)
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


class ShareResultView(TargetMixin, TemplateView):
    """The new link, ready to copy, and who was emailed."""

    template_name = "wagtail_securelink/admin/share_result.html"
    page_title = gettext_lazy("Shared")
    header_title_document = gettext_lazy("Shared “%(title)s”")
    header_title_collection = gettext_lazy("Shared the collection “%(title)s”")

    def get_target(self):
        self.link = get_object_or_404(
            ShareLink.objects.select_related("document", "collection"),
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
            privacy_state=services.item_state(self.link.target),
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

    def dispatch(self, request, *args, **kwargs):
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
                "manage_url": manage_url(collection),
            }
            for collection in collections.order_by("path")
        ]
        return context
