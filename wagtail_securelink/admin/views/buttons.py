"""The Share and Manage access buttons in Wagtail's own documents views (SPEC §5).

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

from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from wagtail.admin.ui.tables import ButtonsColumnMixin, TitleColumn
from wagtail.admin.widgets import HeaderButton, ListingButton
from wagtail.documents.views import documents as wagtail_document_views

from wagtail_securelink.admin.views.base import (
    MANAGE_ICON,
    SHARE_ICON,
    share_document_url,
)
from wagtail_securelink.core.paths import manage_access_path
from wagtail_securelink.permissions import (
    shareable_document_ids,
    user_can_share_document,
    user_can_share_documents,
)

__all__ = ["DocumentIndexView", "DocumentEditView"]


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
                    url=manage_access_path(instance),
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
                    url=manage_access_path(self.object),
                    icon_name=MANAGE_ICON,
                )
            )
        return buttons
