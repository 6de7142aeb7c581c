"""Earlier versions of documents (SPEC §2, ``edit`` role): a replaced file is never
destroyed.

Wagtail's document form deletes the previous file when a new one replaces it. Here the
previous file is first copied into the package's private storage (``core.storage``:
never the documents' storage, whose folder or bucket a web server may publish) under a
name of its own and recorded as a ``DocumentVersion``; the form is told not to delete,
and the old storage name is removed only once the new file and the version row are
committed. A replace that fails at any step leaves neither a copy nor a new file behind,
and the document unchanged. Restoring a version is a replace whose new file is that
version's copy: the current file becomes a version in turn, and the restored version
stays listed.
"""

import logging
import os
import secrets

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.documents import get_document_model
from wagtail.documents.forms import get_document_form
from wagtail.log_actions import log

from wagtail_securelink.audit.events import record_event
from wagtail_securelink.choices import EventType
from wagtail_securelink.core.storage import private_storage
from wagtail_securelink.models import DocumentVersion

__all__ = [
    "VERSIONS_DIR",
    "replace_document",
    "restore_version",
    "record_download",
    "delete_version_file",
]

logger = logging.getLogger(__name__)

VERSIONS_DIR = "securelink_versions"


def _documents_storage():
    """Where the documents' current files are (the document model's file field)."""
    return get_document_model()._meta.get_field("file").storage


def _copy(name: str, document_id: int) -> str:
    # A random folder per version: a later file of the same name, or a storage that
    # overwrites on save, can never reach an earlier version.
    target = "/".join(
        [VERSIONS_DIR, str(document_id), secrets.token_hex(8), os.path.basename(name)]
    )
    with _documents_storage().open(name, "rb") as source:
        return private_storage().save(target, source)


def replace_document(form, *, link=None, email: str = "", user=None, restored=False):
    """Save ``form`` (Wagtail's document form, valid, with a new file for an existing
    document), keeping the current file as a version. Returns ``(document, version)``.
    Raises whatever the storage or the database raised, having cleaned up."""
    document = form.instance
    previous = (
        type(document)
        ._default_manager.filter(pk=document.pk)
        .values("title", "file", "file_size", "file_hash")
        .get()
    )
    form.original_file = None  # we keep the old file; Wagtail's form would delete it
    copied = ""
    try:
        copied = _copy(previous["file"], document.pk)
        with transaction.atomic():
            saved = form.save()
            version = DocumentVersion.objects.create(
                document=saved,
                file_name=copied,
                original_name=os.path.basename(previous["file"])[:255],
                title=previous["title"],
                file_size=previous["file_size"],
                file_hash=previous["file_hash"],
                replaced_by_email=email,
                replaced_by_user=user if user and user.is_authenticated else None,
                link=link,
                restored=restored,
            )
    except Exception:
        if copied:
            private_storage().delete(copied)
        raise
    if previous["file"] != saved.file.name:
        # After commit only: until then the document row still names the old file.
        transaction.on_commit(lambda: _documents_storage().delete(previous["file"]))
    return saved, version


def restore_version(version: DocumentVersion, *, user=None, request=None):
    """Make ``version``'s file the document's current file again. Returns the new
    ``DocumentVersion`` holding the file that was current. Raises ``ValidationError``."""
    document = version.document
    form_class = get_document_form(type(document))
    try:
        with private_storage().open(version.file_name, "rb") as source:
            form = form_class(
                data={"title": document.title, "collection": document.collection_id},
                files={"file": File(source, name=version.original_name)},
                instance=document,
            )
            if not form.is_valid():
                raise ValidationError(
                    [m for errors in form.errors.values() for m in errors]
                )
            _saved, kept = replace_document(form, user=user, restored=True)
    except ValidationError:
        raise
    except Exception:
        logger.exception("Version %s could not be restored", version.pk)
        raise ValidationError(
            _("The earlier version could not be restored. Please try again.")
        ) from None
    detail = {"document": document.pk, "version": version.pk, "kept": kept.pk}
    record_event(
        EventType.VERSION_RESTORED,
        link=version.link,
        user=user,
        request=request,
        detail=detail,
    )
    log(
        instance=document,
        action="wagtail_securelink.version_restore",
        user=user,
        data=detail,
    )
    return kept


def record_download(version: DocumentVersion, *, user=None, request=None) -> None:
    detail = {"document": version.document_id, "version": version.pk}
    record_event(
        EventType.VERSION_DOWNLOADED,
        link=version.link,
        user=user,
        request=request,
        detail=detail,
    )
    log(
        instance=version.document,
        action="wagtail_securelink.version_download",
        user=user,
        data=detail,
    )


def delete_version_file(sender, instance, **kwargs) -> None:
    """``post_delete`` receiver: the row went with its document, so the file goes too."""
    name = instance.file_name
    if name:
        transaction.on_commit(lambda: private_storage().delete(name))
