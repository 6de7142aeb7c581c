from django.http import Http404
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.widgets import Button

from wagtail_securelink.admin import urls as admin_urls
from wagtail_securelink.admin.bulk_actions import RevokeBulkAction
from wagtail_securelink.admin.document_bulk_actions import ShareDocumentsBulkAction
from wagtail_securelink.admin.listing import ManagersMenuItem
from wagtail_securelink.admin.panels import SharedLinksPanel
from wagtail_securelink.admin.people import PeopleViewSet
from wagtail_securelink.admin.people_bulk_actions import PEOPLE_BULK_ACTIONS
from wagtail_securelink.admin.views.base import SHARE_ICON, share_url
from wagtail_securelink.admin.viewsets import ShareLinkViewSet
from wagtail_securelink.models.policy import current_policy
from wagtail_securelink.permissions import (
    get_securelink_permissions,
    user_can_manage_links,
    user_can_see_document_in_admin,
    user_can_share_page,
)
from wagtail_securelink.sharing import privacy


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
    actions.register_action(
        "wagtail_securelink.make_private",
        _("Make private"),
        _("Made private: Wagtail's document URLs no longer serve it to the public"),
    )
    actions.register_action(
        "wagtail_securelink.keep_public",
        _("Keep public"),
        _("Kept public when shared"),
    )
    actions.register_action(
        "wagtail_securelink.make_public",
        _("Make public"),
        _("Made public: Wagtail's document URLs serve it to everyone"),
    )


@hooks.register("before_serve_document")
def refuse_private_document(document, request):
    """Wagtail's own document URLs (serve view, ``redirect`` method) and private items (S16).

    A private document is served only to admin users who may see it in the admin.
    Everyone else gets the very 404 that an unknown id gets, so the URL tells nothing
    about which documents exist. The ``direct`` serve method never reaches this view:
    see ``checks.check_direct_serve_method``.
    """
    if user_can_see_document_in_admin(request.user, document):
        return None
    if privacy.is_private(document):
        raise Http404("No document matches the given query.")
    return None


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


def _share_preview_button(page, priority):
    return Button(
        _("Share preview"),
        share_url(page),
        icon_name=SHARE_ICON,
        priority=priority,
        attrs={"data-securelink-share-preview": ""},
    )


def _may_share_preview(page, user) -> bool:
    # Not the tree's root; only for those who may edit the page (Wagtail caches a
    # user's page permissions, so a listing asks no query per row for this).
    return page.depth > 1 and user_can_share_page(user, page)


@hooks.register("register_page_header_buttons")
def page_header_share_preview(page, user, view_name=None, next_url=None):
    if _may_share_preview(page, user) and current_policy().allow_page_previews:
        yield _share_preview_button(page, priority=66)


@hooks.register("register_page_listing_more_buttons")
def page_listing_share_preview(page, user, next_url=None):
    # The policy is not read per row: with previews switched off the share form
    # answers with a 403 that says so.
    if _may_share_preview(page, user):
        yield _share_preview_button(page, priority=55)


@hooks.register("register_admin_viewset")
def register_shared_links_viewset():
    return ShareLinkViewSet()


@hooks.register("register_admin_viewset")
def register_people_viewset():
    return PeopleViewSet()


for _action in PEOPLE_BULK_ACTIONS:
    hooks.register("register_bulk_action", _action)

hooks.register("register_bulk_action", RevokeBulkAction)
hooks.register("register_bulk_action", ShareDocumentsBulkAction)


@hooks.register("register_reports_menu_item")
def register_activity_report_menu_item():
    return ManagersMenuItem(
        _("Secure link activity"),
        reverse("wagtail_securelink_admin:activity"),
        name="securelink-activity",
        icon_name="link",
        order=900,
    )


@hooks.register("construct_homepage_panels")
def add_shared_links_panel(request, panels):
    if user_can_manage_links(request.user):
        panels.append(SharedLinksPanel(request))


@hooks.register("register_permissions")
def register_permissions():
    return get_securelink_permissions()
