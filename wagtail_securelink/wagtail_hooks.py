from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from .permissions import get_securelink_permissions


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


@hooks.register("register_permissions")
def register_permissions():
    return get_securelink_permissions()
