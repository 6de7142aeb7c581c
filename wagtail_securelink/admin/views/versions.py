"""Earlier versions in Manage access (SPEC §2 ``edit``): download one, restore one.

Who may: the users who may manage the document's access, under Wagtail's own document
permission policy (``permissions.user_can_manage_target``). Each is an access event and
a Wagtail log entry (``versions``). A GET never changes anything; a restore is a POST.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from wagtail_securelink.admin.views.base import forbidden
from wagtail_securelink.core.paths import manage_access_path
from wagtail_securelink.core.storage import private_storage
from wagtail_securelink.models import DocumentVersion
from wagtail_securelink.permissions import user_can_manage_target
from wagtail_securelink.serving.headers import FILE_CSP
from wagtail_securelink.sharing import versions

__all__ = ["DownloadVersionView", "RestoreVersionView"]


class VersionView(View):
    def dispatch(self, request: HttpRequest, *args, **kwargs):
        self.version = get_object_or_404(
            DocumentVersion.objects.select_related("document", "link"),
            pk=kwargs["version_id"],
        )
        if not user_can_manage_target(request.user, self.version.document):
            return forbidden(
                request, _("Sorry, you do not have permission to manage this document.")
            )
        return super().dispatch(request, *args, **kwargs)


class DownloadVersionView(VersionView):
    http_method_names = ["get"]

    def get(self, request: HttpRequest, *args, **kwargs):
        try:
            handle = private_storage().open(self.version.file_name, "rb")
        except OSError:
            messages.error(request, _("The file of this earlier version is missing."))
            return redirect(manage_access_path(self.version.document))
        versions.record_download(self.version, user=request.user, request=request)
        response = FileResponse(
            handle, as_attachment=True, filename=self.version.original_name
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = FILE_CSP
        return response


class RestoreVersionView(VersionView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs):
        try:
            versions.restore_version(self.version, user=request.user, request=request)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(
                request,
                _(
                    "“%(name)s” is the current file again; the file it replaced is "
                    "kept as an earlier version."
                )
                % {"name": self.version.original_name},
            )
        next_url = request.POST.get("next", "")
        if next_url and url_has_allowed_host_and_scheme(
            next_url, {request.get_host()}, request.is_secure()
        ):
            return redirect(next_url)
        return redirect(manage_access_path(self.version.document))
