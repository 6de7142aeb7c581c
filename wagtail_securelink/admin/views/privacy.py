"""Manage access, privacy part (S16): the item's state and the explicit editor actions.

"Make public" and "Make private again" are POSTs of their own, answered with a redirect
back to Manage access, or a 403 with nothing changed for a user who may not manage the
item. The rules are in ``privacy`` (through ``services``) and ``permissions``.
"""

from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View

from wagtail_securelink import services
from wagtail_securelink.admin.views.base import TargetMixin, forbidden
from wagtail_securelink.choices import TargetType
from wagtail_securelink.core.paths import manage_access_path
from wagtail_securelink.permissions import user_can_change_privacy

__all__ = [
    "privacy_context",
    "MakeDocumentPublicView",
    "MakeDocumentPrivateView",
    "MakeCollectionPublicView",
    "MakeCollectionPrivateView",
]


def privacy_context(user, target) -> dict:
    """What Manage access shows about the item's privacy, and which button it offers."""
    return {
        "state": services.item_state(target),
        "can_change": user_can_change_privacy(user, target),
    }


class PrivacyActionView(TargetMixin, View):
    http_method_names = ["post"]
    make_private = False

    def has_permission(self) -> bool:
        return user_can_change_privacy(self.request.user, self.target)

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        self.target = self.get_target()
        if not self.has_permission():
            return forbidden(
                request,
                _("Sorry, you do not have permission to change who can see this item."),
            )
        return View.dispatch(self, request, *args, **kwargs)

    def post(self, request: HttpRequest, *args, **kwargs):
        if self.make_private:
            services.make_private(self.target, user=request.user, request=request)
            messages.success(
                request,
                _("It is private: the site no longer serves it at its public address."),
            )
        else:
            services.make_public(self.target, user=request.user, request=request)
            messages.success(
                request,
                _("It is public: the site serves it to everyone at its address."),
            )
        return redirect(manage_access_path(self.target))


class MakeDocumentPublicView(PrivacyActionView):
    pass


class MakeDocumentPrivateView(PrivacyActionView):
    make_private = True


class MakeCollectionPublicView(PrivacyActionView):
    target_type = TargetType.COLLECTION


class MakeCollectionPrivateView(PrivacyActionView):
    target_type = TargetType.COLLECTION
    make_private = True
