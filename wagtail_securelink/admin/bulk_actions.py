"""Bulk revoke for the Shared links area, on Wagtail's bulk action framework."""

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin.views.bulk_action import BulkAction

from wagtail_securelink import services
from wagtail_securelink.admin.views.base import forbidden
from wagtail_securelink.models import ShareLink
from wagtail_securelink.permissions import links_visible_to

__all__ = ["RevokeBulkAction"]


class RevokeBulkAction(BulkAction):
    display_name = _("Revoke")
    action_type = "revoke"
    aria_label = _("Revoke the selected links")
    template_name = "wagtail_securelink/admin/confirm_bulk_revoke.html"
    action_priority = 10
    classes = {"serious"}
    models = [ShareLink]

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        # Every requested link must be one the user may manage; otherwise refuse the
        # whole request (403) before anything is revoked.
        ids = [value for value in request.GET.getlist("id") if value != "all"]
        try:
            ids = {int(value) for value in ids}
        except ValueError:
            ids = None
        visible = links_visible_to(
            request.user, ShareLink.objects.filter(pk__in=ids or [])
        )
        if ids is None or len(ids) != visible.count():
            return forbidden(
                request, _("Sorry, you do not have permission to revoke these links.")
            )
        return super().dispatch(request, *args, **kwargs)

    def get_all_objects_in_listing_query(self, parent_id):
        return links_visible_to(self.request.user).values_list("pk", flat=True)

    def get_actionable_objects(self):
        objects, extra = super().get_actionable_objects()
        allowed = set(
            links_visible_to(
                self.request.user,
                ShareLink.objects.filter(pk__in=[o.pk for o in objects]),
            ).values_list("pk", flat=True)
        )
        kept = [o for o in objects if o.pk in allowed]
        extra["items_with_no_access"] += [o for o in objects if o.pk not in allowed]
        return kept, extra

    def get_execution_context(self):
        return {"user": self.request.user, "request": self.request}

    @classmethod
    def execute_action(cls, objects, user=None, request=None, **kwargs):
        links = ShareLink.objects.filter(pk__in=[link.pk for link in objects])
        count = services.revoke_links(links, user=user, request=request)
        return count, 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        return ngettext(
            "%(count)d link was revoked.",
            "%(count)d links were revoked.",
            num_parent_objects,
        ) % {"count": num_parent_objects}
