"""What the app's admin pages share: the document or collection a page is about
(``TargetMixin``), the URLs of its pages, and an honest 403 in the admin's frame.
"""

from django.contrib.admin.utils import quote
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.documents import get_document_model
from wagtail.models import Collection, Page

from wagtail_securelink.choices import TargetType
from wagtail_securelink.core.paths import manage_access_path
from wagtail_securelink.permissions import user_can_share_target

__all__ = [
    "SHARE_ICON",
    "MANAGE_ICON",
    "TargetMixin",
    "share_document_url",
    "share_url",
    "target_edit_url",
    "forbidden",
]

SHARE_ICON = "link"
MANAGE_ICON = "key"


def share_document_url(document) -> str:
    return reverse("wagtail_securelink_admin:share_document", args=[quote(document.pk)])


def share_url(target) -> str:
    if isinstance(target, Page):
        return reverse("wagtail_securelink_admin:share_page", args=[quote(target.pk)])
    if isinstance(target, Collection):
        return reverse(
            "wagtail_securelink_admin:share_collection", args=[quote(target.pk)]
        )
    return share_document_url(target)


def target_edit_url(target) -> str:
    if isinstance(target, Page):
        return reverse("wagtailadmin_pages:edit", args=[quote(target.pk)])
    if isinstance(target, Collection):
        return reverse("wagtailadmin_collections:edit", args=[quote(target.pk)])
    return reverse("wagtaildocs:edit", args=[quote(target.pk)])


def forbidden(request: HttpRequest, message=None):
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


class TargetMixin(WagtailAdminTemplateMixin):
    """Loads the document or collection of the URL and refuses (403) users who may not share it."""

    header_icon = SHARE_ICON
    target_type = TargetType.DOCUMENT
    # The header names what the page is about, e.g. "Manage access to “Contracts”".
    header_title_document = gettext_lazy("Share “%(title)s”")
    header_title_collection = gettext_lazy("Share the collection “%(title)s”")
    header_title_page = gettext_lazy("Share a preview of “%(title)s”")

    def get_target(self):
        if self.target_type == TargetType.PAGE:
            # Not the root: it is no page anyone edits.
            return get_object_or_404(Page, pk=self.kwargs["page_id"], depth__gt=1)
        if self.target_type == TargetType.COLLECTION:
            return get_object_or_404(
                Collection, pk=self.kwargs["collection_id"], depth__gt=1
            )
        return get_object_or_404(get_document_model(), pk=self.kwargs["document_id"])

    def has_permission(self) -> bool:
        return user_can_share_target(self.request.user, self.target)

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        self.target = self.get_target()
        if not self.has_permission():
            return forbidden(request)
        return super().dispatch(request, *args, **kwargs)

    @property
    def target_title(self) -> str:
        # A page is named as Wagtail's admin names it: by its draft's title.
        if isinstance(self.target, Page):
            return self.target.get_admin_display_title()
        return str(self.target)

    @property
    def document(self):
        return self.target if self.target_type == TargetType.DOCUMENT else None

    def get_page_subtitle(self):
        return self.target_title

    def get_header_title(self):
        if self.target_type == TargetType.PAGE:
            template = self.header_title_page
        elif self.target_type == TargetType.COLLECTION:
            template = self.header_title_collection
        else:
            template = self.header_title_document
        return template % {"title": self.target_title}

    def get_breadcrumbs_items(self):
        if self.target_type == TargetType.PAGE:
            parent = {"url": reverse("wagtailadmin_explore_root"), "label": _("Pages")}
        elif self.target_type == TargetType.COLLECTION:
            parent = {
                "url": reverse("wagtail_securelink_admin:collections"),
                "label": _("Share a collection"),
            }
        else:
            parent = {"url": reverse("wagtaildocs:index"), "label": _("Documents")}
        return [
            *self.breadcrumbs_items,
            parent,
            {"url": target_edit_url(self.target), "label": self.target_title},
            # The last crumb is the header Wagtail shows: it names the item.
            {"url": "", "label": self.get_header_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            target=self.target,
            target_title=self.target_title,
            target_type=self.target_type,
            is_collection=self.target_type == TargetType.COLLECTION,
            is_page=self.target_type == TargetType.PAGE,
            target_edit_url=target_edit_url(self.target),
            share_url=share_url(self.target),
            manage_url=manage_access_path(self.target),
        )
        return context
