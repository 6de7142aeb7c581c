"""Template tags for the few Wagtail admin templates this app extends."""

from django import template
from django.urls import reverse

from wagtail_securelink.core.paths import manage_access_path
from wagtail_securelink.permissions import (
    user_can_manage_target,
    user_can_share_collection,
)

register = template.Library()


@register.inclusion_tag(
    "wagtail_securelink/admin/collection_buttons.html", takes_context=True
)
def securelink_collection_buttons(context, collection):
    """Share / Manage access buttons for a collection, shown only to users who may use them."""
    user = context["request"].user
    can_share = user_can_share_collection(user, collection)
    can_manage = user_can_manage_target(user, collection)
    return {
        "share_url": reverse(
            "wagtail_securelink_admin:share_collection", args=[collection.pk]
        )
        if can_share
        else "",
        "manage_url": manage_access_path(collection) if can_manage else "",
    }
