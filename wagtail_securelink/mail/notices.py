"""How every notice to a sharer or an editor is written, addressed and queued.

The notices themselves live with what they are about: ``notifications`` (first open,
forward attempt, expiry, upload), ``access_requests``, ``download_notices`` and
``digest``. Each builds its context and calls ``send_notice`` inside a task, queued
with ``tasks.background.later`` (after the visitor's response has been sent). A notice never holds a token, a code or a password; the links in it lead to the
admin, where the editor signs in as usual.
"""

import logging
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import translation

from wagtail_securelink.conf import settings
from wagtail_securelink.core.languages import for_user
from wagtail_securelink.core.paths import link_manage_path
from wagtail_securelink.mail.messages import get_emails
from wagtail_securelink.models import ShareLink

__all__ = [
    "admin_url",
    "manage_url",
    "sharer_address",
    "send_notice",
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
