"""How every notice to a sharer or an editor is written, addressed and queued.

The notices themselves live with what they are about: ``notifications`` (first open,
forward attempt, expiry, upload), ``access_requests``, ``download_notices`` and
``digest``. Each builds its context and calls ``send_notice`` inside a task; each
queues its task with ``defer``, which holds it until the visitor's response has been
sent. A notice never holds a token, a code or a password; the links in it lead to the
admin, where the editor signs in as usual.
"""

import logging
from contextvars import ContextVar
from urllib.parse import urlencode

from django.db import transaction
from django.urls import reverse
from django.utils import translation

from wagtail_securelink.conf import settings
from wagtail_securelink.core.languages import for_user
from wagtail_securelink.core.paths import link_manage_path
from wagtail_securelink.mail.delivery import enqueue_off_request
from wagtail_securelink.mail.messages import get_emails
from wagtail_securelink.models import ShareLink

__all__ = [
    "admin_url",
    "manage_url",
    "sharer_address",
    "send_notice",
    "defer",
    "enqueue_notice",
    "on_request_started",
    "on_request_finished",
]

logger = logging.getLogger(__name__)


def admin_url(path: str) -> str:
    from wagtail.admin.utils import get_admin_base_url

    return (get_admin_base_url() or settings.base_url).rstrip("/") + path


def manage_url(link: ShareLink, params: dict | None = None) -> str:
    path = link_manage_path(link) or reverse("wagtail_securelink_sharelink:index")
    query = f"?{urlencode(params)}" if params else ""
    return admin_url(f"{path}{query}#link-{link.pk}")


def sharer_address(link: ShareLink) -> str:
    user = link.created_by
    if user is None or not user.is_active:
        return ""
    return getattr(user, "email", "") or ""


def send_notice(name: str, context: dict, to: str, *, user=None) -> str:
    """Render and send one notice to ``to``, in ``user``'s language (the one chosen in
    their Wagtail account) or else the site's default: never the language of whichever
    request or worker happens to send it."""
    emails = get_emails()
    try:
        with translation.override(for_user(user)):
            message = emails.render(name, context, to)
        emails.send(message)
    except Exception as exc:  # SMTP, template or network errors: log, never raise
        logger.error("Notification %s could not be sent: %s", name, type(exc).__name__)
        return "failed"
    return "sent"


def enqueue_notice(task_obj, *args):
    try:
        return enqueue_off_request(task_obj, *args)
    except Exception as exc:  # a queue outage must never break the visitor's request
        logger.error("Notification task could not be queued: %s", type(exc).__name__)
        return None


# Notices raised while a request is being served wait until its response has been sent
# (``request_finished``, which the WSGI server triggers by closing the response). With
# the immediate task backend the email would otherwise go out inside the request, and
# an unlisted address would take longer to answer than a listed one: exactly the
# timing tell that S7 forbids. The receivers are connected by signal_handlers.register().
_pending: ContextVar[list | None] = ContextVar("securelink_notices", default=None)


def defer(task_obj, *args) -> None:
    pending = _pending.get()
    if pending is None:  # outside a request (a command, a worker): after the commit
        transaction.on_commit(lambda: enqueue_notice(task_obj, *args))
    else:
        pending.append((task_obj, args))


def on_request_started(sender=None, **kwargs):
    _pending.set([])


def on_request_finished(sender=None, **kwargs):
    pending = _pending.get()
    _pending.set(None)
    for task_obj, args in pending or ():
        enqueue_notice(task_obj, *args)
