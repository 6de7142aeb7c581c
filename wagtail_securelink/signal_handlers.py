"""Connects the sharer notifications (``notifications``) to the signals that raise them,
removes the files of earlier versions when their document is deleted and the rendered
pages of a document's earlier files (``rendering``) when it changes, and ends the
previews of a page that is unpublished.

``register()`` is idempotent (every receiver has a ``dispatch_uid``) and is called
from ``AppConfig.ready()``. ``unregister()`` is for tests.
"""

from django.core.signals import request_finished, request_started
from django.db.models.signals import post_delete, post_save
from wagtail.documents import get_document_model
from wagtail.signals import page_unpublished

from wagtail_securelink import signals
from wagtail_securelink.mail import download_notices, notifications
from wagtail_securelink.models import AccessEvent, DocumentVersion
from wagtail_securelink.sharing import links, versions
from wagtail_securelink.tasks import background
from wagtail_securelink.viewer import rendering

__all__ = ["register", "unregister"]


def register() -> None:
    signals.visitor_verified.connect(
        notifications.on_visitor_verified,
        dispatch_uid="wagtail_securelink.notify_first_open",
    )
    post_save.connect(
        notifications.on_access_event_saved,
        sender=AccessEvent,
        dispatch_uid="wagtail_securelink.notify_unlisted_attempt",
    )
    post_save.connect(
        download_notices.on_access_event_saved,
        sender=AccessEvent,
        dispatch_uid="wagtail_securelink.notify_downloads",
    )
    post_delete.connect(
        versions.delete_version_file,
        sender=DocumentVersion,
        dispatch_uid="wagtail_securelink.delete_version_file",
    )
    post_save.connect(
        rendering.on_document_saved,
        sender=get_document_model(),
        dispatch_uid="wagtail_securelink.forget_old_renders",
    )
    post_delete.connect(
        rendering.on_document_deleted,
        sender=get_document_model(),
        dispatch_uid="wagtail_securelink.forget_all_renders",
    )
    page_unpublished.connect(
        links.on_page_unpublished,
        dispatch_uid="wagtail_securelink.end_previews_of_unpublished_pages",
    )
    request_started.connect(
        background.on_request_started,
        dispatch_uid="wagtail_securelink.tasks_request_started",
    )
    request_finished.connect(
        background.on_request_finished,
        dispatch_uid="wagtail_securelink.tasks_request_finished",
    )


def unregister() -> None:
    signals.visitor_verified.disconnect(
        dispatch_uid="wagtail_securelink.notify_first_open"
    )
    post_save.disconnect(
        sender=AccessEvent, dispatch_uid="wagtail_securelink.notify_unlisted_attempt"
    )
    post_save.disconnect(
        sender=AccessEvent, dispatch_uid="wagtail_securelink.notify_downloads"
    )
    post_delete.disconnect(
        sender=DocumentVersion, dispatch_uid="wagtail_securelink.delete_version_file"
    )
    post_save.disconnect(
        sender=get_document_model(),
        dispatch_uid="wagtail_securelink.forget_old_renders",
    )
    post_delete.disconnect(
        sender=get_document_model(),
        dispatch_uid="wagtail_securelink.forget_all_renders",
    )
    page_unpublished.disconnect(
        dispatch_uid="wagtail_securelink.end_previews_of_unpublished_pages"
    )
    request_started.disconnect(dispatch_uid="wagtail_securelink.tasks_request_started")
    request_finished.disconnect(
        dispatch_uid="wagtail_securelink.tasks_request_finished"
    )
