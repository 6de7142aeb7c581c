"""Visitor uploads for ``edit`` and ``upload`` links, through Wagtail's own document form.

Wagtail's form validates ``WAGTAILDOCS_EXTENSIONS`` and ``WAGTAILDOCS_MAX_UPLOAD_SIZE``
and records the file's size and hash, as in the Wagtail admin; a replaced file is kept
as an earlier version (``versions``), never deleted. The policy adds its own size cap,
the operator's scanner (``WAGTAIL_SECURELINK_UPLOAD_SCANNER``) may refuse a file, and a
file received through a link is private until an editor publishes it (S16), in the
same transaction as the save. Nothing is kept from an upload that fails.
"""

import logging
import os

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from wagtail.documents import get_document_model
from wagtail.documents.forms import get_document_form

from wagtail_securelink.conf import settings
from wagtail_securelink.sharing import privacy, versions

__all__ = ["save_upload", "scan_upload"]

logger = logging.getLogger(__name__)


def _title_from_filename(name: str) -> str:
    stem = os.path.splitext(os.path.basename(name or ""))[0]
    return (stem.replace("_", " ").strip() or _("Untitled"))[:255]


def scan_upload(uploaded_file, context: dict) -> None:
    """Run the operator's scanner, if any; raise ``ValidationError`` to refuse the file.

    A scanner that fails in any other way refuses the file too: an unchecked file is
    never kept.
    """
    if not settings.UPLOAD_SCANNER:
        return
    scanner = import_string(settings.UPLOAD_SCANNER)
    try:
        scanner(uploaded_file, context)
    except ValidationError:
        raise
    except Exception:
        logger.exception("The upload scanner failed; the file was refused")
        raise ValidationError(
            _(
                "The file could not be checked, so it was not saved. Please try again later."
            )
        ) from None
    finally:
        if hasattr(uploaded_file, "seek"):
            uploaded_file.seek(0)


def save_upload(
    *,
    uploaded_file,
    collection,
    document=None,
    user=None,
    max_bytes: int,
    link=None,
    uploaded_by: str = "",
):
    """Save ``uploaded_file`` as a new document in ``collection``, or as a new version of
    ``document`` (the replaced file is kept: ``versions``). Returns the document; raises
    ``ValidationError`` with a clear message.

    With ``link`` (an upload through a share link) the file is scanned first and the
    document is private afterwards, recording ``uploaded_by`` (the visitor's address;
    empty for an ``anyone`` link) and the link.
    """
    if uploaded_file is None:
        raise ValidationError(_("Choose a file to upload."))
    if uploaded_file.size > max_bytes:
        raise ValidationError(
            _(
                "This file is too big (%(size)s). The largest file you can upload is %(max)s."
            )
            % {
                "size": filesizeformat(uploaded_file.size),
                "max": filesizeformat(max_bytes),
            }
        )
    Document = get_document_model()
    form_class = get_document_form(Document)
    if document is None:
        instance = Document(
            uploaded_by_user=user if user and user.is_authenticated else None
        )
        data = {
            "title": _title_from_filename(uploaded_file.name),
            "collection": collection.pk,
        }
    else:
        instance = document
        data = {"title": document.title, "collection": document.collection_id}
    previous_name = instance.file.name if document is not None else None
    form = form_class(data=data, files={"file": uploaded_file}, instance=instance)
    if not form.is_valid():
        messages = [m for errors in form.errors.values() for m in errors]
        raise ValidationError(messages or [_("This file cannot be uploaded.")])
    if link is not None:
        scan_upload(
            uploaded_file,
            {
                "link": link,
                "collection": collection,
                "document": document,
                "uploaded_by": uploaded_by,
                "user": user,
            },
        )
    try:
        with transaction.atomic():
            if document is not None:
                saved = versions.replace_document(
                    form, link=link, email=uploaded_by, user=user
                )[0]
            else:
                saved = form.save()
            if link is not None:
                privacy.mark_uploaded(
                    saved, link=link, uploaded_by=uploaded_by, user=user
                )
            return saved
    except Exception:
        # The file may already be in storage: remove it so a failed upload leaves nothing.
        name = getattr(form.instance.file, "name", "")
        if name and name != previous_name:
            form.instance.file.storage.delete(name)
        logger.exception("Upload could not be saved")
        raise ValidationError(
            _("The file could not be saved. Please try again.")
        ) from None
