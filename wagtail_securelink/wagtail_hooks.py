from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import admin_urls
from .bulk_actions import RevokeBulkAction
from .document_bulk_actions import ShareDocumentsBulkAction
from .permissions import get_securelink_permissions, user_can_manage_links
from .viewsets import ShareLinkViewSet


@hooks.register("register_log_actions")
def register_securelink_log_actions(actions):
    actions.register_action(
        "wagtail_securelink.create", _("Create shared link"), _("Shared link created")
    )
    actions.register_action(
        "wagtail_securelink.change", _("Change shared link"), _("Shared link changed")
    )
    actions.register_action(
        "wagtail_securelink.revoke", _("Revoke shared link"), _("Shared link revoked")
    )
    actions.register_action(
        "wagtail_securelink.recipient_add",
        _("Add recipients"),
        _("Recipients added to shared link"),
    )
    actions.register_action(
        "wagtail_securelink.recipient_remove",
        _("Remove recipient"),
        _("Recipient removed from shared link"),
    )
    actions.register_action(
        "wagtail_securelink.version_download",
        _("Download earlier version"),
        _("Earlier version downloaded"),
    )
    actions.register_action(
        "wagtail_securelink.version_restore",
        _("Restore earlier version"),
        _("Earlier version restored"),
    )


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [
        path(
            "securelink/",
            include(
                (admin_urls.urlpatterns, admin_urls.app_name),
                namespace=admin_urls.app_name,
            ),
        ),
    ]


# order=-1: before wagtail.documents' own hook, so that these three paths resolve to
# our subclasses first. Our own namespace keeps reverse("wagtaildocs:…") on Wagtail's
# names. Why not a template override: see views/admin.py and docs/admin-guide.md.
@hooks.register("register_admin_urls", order=-1)
def register_document_admin_urls():
    return [
        path(
            "documents/",
            include(
                (admin_urls.document_urlpatterns, admin_urls.DOCUMENTS_NAMESPACE),
                namespace=admin_urls.DOCUMENTS_NAMESPACE,
            ),
        ),
    ]


@hooks.register("register_admin_viewset")
def register_shared_links_viewset():
    return ShareLinkViewSet()


hooks.register("register_bulk_action", RevokeBulkAction)
hooks.register("register_bulk_action", ShareDocumentsBulkAction)


class ActivityReportMenuItem(MenuItem):
    def is_shown(self, request):
        return user_can_manage_links(request.user)


@hooks.register("register_reports_menu_item")
def register_activity_report_menu_item():
    return ActivityReportMenuItem(
        _("Secure link activity"),
        reverse("wagtail_securelink_admin:activity"),
        name="securelink-activity",
        icon_name="link",
        order=900,
    )


@hooks.register("construct_homepage_panels")
def add_shared_links_panel(request, panels):
    if user_can_manage_links(request.user):
        from .panels import SharedLinksPanel

        panels.append(SharedLinksPanel(request))


@hooks.register("register_permissions")
def register_permissions():
    return get_securelink_permissions()
