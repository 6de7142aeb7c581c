"""Files a visitor sends through a link (SPEC §4): a new file into a shared collection
(``edit`` and ``upload`` links), or a new version of a document (``edit`` links).

The checks on the file itself (size, type, name) are ``uploads.save_upload``'s; a
refused file re-renders the page it came from with the reason and a 400.
"""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.views.decorators.http import require_POST

from wagtail_securelink import services
from wagtail_securelink.choices import EventType, Role, TargetType
from wagtail_securelink.serving.headers import accepts_upload
from wagtail_securelink.sharing import uploads
from wagtail_securelink.visitor.content import (
    document_or_404,
    document_page,
    folder_or_404,
    folder_page,
    folder_urls,
    item_urls,
    refuse,
)
from wagtail_securelink.visitor.decorators import link_view
from wagtail_securelink.visitor.gates import with_access

__all__ = ["upload", "replace"]


def _uploader(access) -> str:
    """Who sent a file: the verified address, a signed-in user's, or "" (anyone link)."""
    if access.recipient is not None:
        return access.recipient.email
    if access.user is not None:
        return getattr(access.user, "email", "") or access.user.get_username()
    return ""


def _upload(request: HttpRequest, link, access, *, folder=None, document=None):
    policy = services.current_policy(request)
    try:
        saved = uploads.save_upload(
            uploaded_file=request.FILES.get("file"),
            collection=folder or document.collection,
            document=document,
            user=access.user,
            max_bytes=policy.upload_max_mb * 1024 * 1024,
            link=link,
            uploaded_by=_uploader(access),
        )
    except ValidationError as exc:
        message = " ".join(exc.messages)
        if document is not None:
            return document_page(
                request, link, access, document, status=400, upload_error=message
            )
        return folder_page(
            request, link, access, folder, status=400, upload_error=message
        )
    services.record_event(
        EventType.UPLOADED,
        link=link,
        recipient=access.recipient,
        request=request,
        detail={
            "document": saved.pk,
            "new_version": document is not None,
            "private": True,
        },
    )
    services.notify_upload(link, saved)
    target = (
        item_urls(link, saved)["page"]
        if document is not None
        else folder_urls(link, folder)["page"]
    )
    response = HttpResponseRedirect(f"{target}?uploaded=1")
    response.status_code = 303
    return response


@link_view
@accepts_upload
@require_POST
@with_access
def upload(request: HttpRequest, link, access, folder_id: int | None = None):
    if not Role.can_upload(link.role) or link.target_type != TargetType.COLLECTION:
        return refuse(request, link, "no_upload.html")
    found, error = folder_or_404(request, link, folder_id)
    return error or _upload(request, link, access, folder=found)


@link_view
@accepts_upload
@require_POST
@with_access
def replace(request: HttpRequest, link, access, document_id: int | None = None):
    if not Role.can_replace(link.role):
        return refuse(request, link, "no_upload.html")
    if document_id is None:
        if link.target_type != TargetType.DOCUMENT:
            return refuse(request, link, "no_upload.html")
        document = link.document
    else:
        document, error = document_or_404(request, link, document_id)
        if error:
            return error
    return _upload(request, link, access, document=document)
