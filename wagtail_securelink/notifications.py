"""Notifications to the sharer (SPEC §5), sent through ``django_tasks`` like every email.

* **First open**: a recipient verified for the first time (``visitor_verified``).
* **Forward attempt**: an unlisted address asked for a code on a ``specific`` link
  (an ``unlisted_address`` access event), with a one-click *Add this person* that
  opens Manage access with the address filled in; the editor still confirms.
* **Expires in 3 days**: found by ``securelink_digest --expiry-notices`` (run daily),
  with a one-click *Extend* that opens Manage access with a later date filled in.
* **Weekly digest**: ``securelink_digest``, links that expire soon, were never opened,
  or have not been used for 90 days.
* **File received**: a visitor uploaded a file through a link; it is private (S16)
  and the notice links to the document in the admin, to review and publish it.

The policy switches the first two on or off. Tasks take row ids only. A notice never
holds a token, a code or a password; the links in it lead to the admin, where the
editor signs in as usual.
"""

import datetime
import logging
from contextvars import ContextVar
from urllib.parse import urlencode

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task
from wagtail.documents import get_document_model

from .admin_paths import link_manage_path, manage_access_path
from .choices import Audience, EventType
from .conf import settings
from .emails import get_emails
from .models import AccessEvent, PrivateItem, Recipient, ShareLink
from .policy import current_policy

__all__ = [
    "admin_url",
    "manage_url",
    "notify_first_open",
    "notify_unlisted_attempt",
    "notify_expiring",
    "notify_upload",
    "on_upload",
    "send_digest",
    "send_expiry_notices",
    "notify_person_expiring",
    "notify_access_request",
    "notify_decline",
    "send_person_expiry_notices",
    "digest_for",
    "EXPIRY_NOTICE_DAYS",
    "UNUSED_DAYS",
]

logger = logging.getLogger(__name__)

EXPIRY_NOTICE_DAYS = 3
UNUSED_DAYS = 90
DIGEST_EXPIRING_DAYS = 7
# One forward-attempt notice per (link, address) per day: a visitor retrying must not
# flood the sharer's inbox.
UNLISTED_NOTICE_EVERY = datetime.timedelta(days=1)
# And at most this many forward-attempt notices per link per day, whatever the
# addresses: someone typing many addresses must not flood the sharer either. The
# notice says so, and Manage access / the activity report list every attempt.
UNLISTED_NOTICES_PER_LINK = 10


def admin_url(path: str) -> str:
    from wagtail.admin.utils import get_admin_base_url

    return (get_admin_base_url() or settings.base_url).rstrip("/") + path


def manage_url(link: ShareLink, params: dict | None = None) -> str:
    path = link_manage_path(link) or reverse("wagtail_securelink_sharelink:index")
    query = f"?{urlencode(params)}" if params else ""
    return admin_url(f"{path}{query}#link-{link.pk}")


def _sharer_address(link: ShareLink) -> str:
    user = link.created_by
    if user is None or not user.is_active:
        return ""
    return getattr(user, "email", "") or ""


def _send(name: str, context: dict, to: str) -> str:
    emails = get_emails()
    try:
        emails.send(emails.render(name, context, to))
    except Exception as exc:  # SMTP, template or network errors: log, never raise
        logger.error("Notification %s could not be sent: %s", name, type(exc).__name__)
        return "failed"
    return "sent"


# The work, run inside tasks ----------------------------------------------------------


def notify_first_open(recipient_id: int) -> str:
    recipient = (
        Recipient.objects.select_related("link__created_by")
        .filter(pk=recipient_id)
        .first()
    )
    if recipient is None or not current_policy().notify_first_open:
        return "skipped"
    link = recipient.link
    to = _sharer_address(link)
    if not to:
        return "skipped"
    context = {"link": link, "recipient": recipient, "manage_url": manage_url(link)}
    return _send("notify_first_open", context, to)


def notify_unlisted_attempt(event_id: int) -> str:
    event = (
        AccessEvent.objects.select_related("link__created_by")
        .filter(pk=event_id, event=EventType.UNLISTED_ADDRESS)
        .first()
    )
    if event is None or event.link is None or not event.email:
        return "skipped"
    link = event.link
    if (
        not current_policy().notify_unlisted_attempt
        or link.audience != Audience.SPECIFIC
        or not link.is_active()
    ):
        return "skipped"
    earlier = AccessEvent.objects.filter(
        event=EventType.UNLISTED_ADDRESS,
        link=link,
        email=event.email,
        pk__lt=event.pk,
        created_at__gte=event.created_at - UNLISTED_NOTICE_EVERY,
    )
    to = _sharer_address(link)
    if not to or earlier.exists():
        return "skipped"
    # Every earlier address of the day got its one notice (the first event of each).
    noticed_today = (
        AccessEvent.objects.filter(
            event=EventType.UNLISTED_ADDRESS,
            link=link,
            pk__lt=event.pk,
            created_at__gte=event.created_at - UNLISTED_NOTICE_EVERY,
        )
        .exclude(email=event.email)
        .values("email")
        .distinct()
        .count()
    )
    if noticed_today >= UNLISTED_NOTICES_PER_LINK:
        return "skipped"
    context = {
        "link": link,
        "email": event.email,
        "per_link": UNLISTED_NOTICES_PER_LINK,
        "manage_url": manage_url(link),
        "add_url": manage_url(link, {"link": link.pk, "add": event.email}),
    }
    return _send("notify_unlisted", context, to)


def notify_expiring(link_id: int) -> str:
    link = ShareLink.objects.select_related("created_by").filter(pk=link_id).first()
    if link is None or not link.is_active() or link.expires_at is None:
        return "skipped"
    to = _sharer_address(link)
    if not to:
        return "skipped"
    context = {
        "link": link,
        "manage_url": manage_url(link),
        "extend_url": manage_url(link, {"extend": link.pk}),
    }
    return _send("notify_expiring", context, to)


def notify_person_expiring(recipient_id: int) -> str:
    """One person's own access ("access until") ends within 3 days: tell the sharer,
    with a one-click way to the person on Manage access."""
    recipient = (
        Recipient.objects.select_related("link__created_by")
        .filter(pk=recipient_id)
        .first()
    )
    if recipient is None or recipient.expires_at is None or recipient.is_expired():
        return "skipped"
    link = recipient.link
    if not link.is_active():
        return "skipped"
    to = _sharer_address(link)
    if not to:
        return "skipped"
    context = {
        "link": link,
        "recipient": recipient,
        "manage_url": manage_url(link),
    }
    return _send("notify_person_expiring", context, to)


def notify_access_request(request_id: int) -> str:
    """A visitor asked for access: tell the sharer, with Approve and Decline."""
    from .access_requests import review_url
    from .models import AccessRequest

    row = (
        AccessRequest.objects.select_related("link__created_by")
        .filter(pk=request_id, decision="")
        .first()
    )
    if row is None or not row.link.is_active():
        return "skipped"
    to = _sharer_address(row.link)
    if not to:
        return "skipped"
    url = review_url(row)
    context = {
        "link": row.link,
        "email": row.email,
        "message": row.message,
        "approve_url": f"{url}?action=approve",
        "decline_url": f"{url}?action=decline",
        "manage_url": manage_url(row.link),
    }
    return _send("notify_access_request", context, to)


def notify_decline(request_id: int) -> str:
    """Tell the visitor, politely, that their request was declined. Names no item:
    the visitor may never have been able to open it."""
    from .models import AccessRequest

    row = AccessRequest.objects.filter(pk=request_id, decision="declined").first()
    if row is None:
        return "skipped"
    return _send("access_declined", {"email": row.email}, row.email)


def notify_upload(link_id: int, document_id: int) -> str:
    link = ShareLink.objects.select_related("created_by").filter(pk=link_id).first()
    document = get_document_model().objects.filter(pk=document_id).first()
    if link is None or document is None:
        return "skipped"
    to = _sharer_address(link)
    if not to:
        return "skipped"
    item = PrivateItem.objects.filter(document=document).first()
    context = {
        "link": link,
        "document": document,
        "uploaded_by": item.uploaded_by_label if item else "",
        "review_url": admin_url(reverse("wagtaildocs:edit", args=[document.pk])),
        "manage_url": admin_url(manage_access_path(document)),
    }
    return _send("notify_upload", context, to)


def digest_for(user, now=None) -> dict:
    """The hygiene lists for one editor: expiring soon, never opened, unused."""
    from . import editing

    now = now or timezone.now()
    mine = ShareLink.objects.filter(created_by=user).order_by("expires_at", "pk")
    week_old = now - datetime.timedelta(days=7)
    return {
        "expiring": list(
            editing.expiring_between(
                now, now + datetime.timedelta(days=DIGEST_EXPIRING_DAYS), mine
            )
        ),
        "never_opened": list(
            editing.never_opened(mine, now).filter(created_at__lt=week_old)
        ),
        "unused": list(
            editing.unused_since(
                now - datetime.timedelta(days=UNUSED_DAYS), mine, now
            ).exclude(open_count=0)
        ),
    }


def send_digest(user_id: int) -> str:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not getattr(user, "email", ""):
        return "skipped"
    lists = digest_for(user)
    if not any(lists.values()):
        return "skipped"
    for name in ("expiring", "never_opened", "unused"):
        lists[name] = [{"link": link, "url": manage_url(link)} for link in lists[name]]
    context = {
        "user": user,
        **lists,
        "links_url": admin_url(reverse("wagtail_securelink_sharelink:index")),
    }
    return _send("notify_digest", context, user.email)


# Tasks ---------------------------------------------------------------------------------


@task()
def first_open_task(recipient_id: int) -> str:
    return notify_first_open(recipient_id)


@task()
def unlisted_attempt_task(event_id: int) -> str:
    return notify_unlisted_attempt(event_id)


@task()
def expiring_task(link_id: int) -> str:
    return notify_expiring(link_id)


@task()
def person_expiring_task(recipient_id: int) -> str:
    return notify_person_expiring(recipient_id)


@task()
def access_request_task(request_id: int) -> str:
    return notify_access_request(request_id)


@task()
def decline_task(request_id: int) -> str:
    return notify_decline(request_id)


def defer_access_request_notice(request_id: int) -> None:
    _defer(access_request_task, request_id)


def defer_decline_notice(request_id: int) -> None:
    _defer(decline_task, request_id)


@task()
def digest_task(user_id: int) -> str:
    return send_digest(user_id)


@task()
def upload_task(link_id: int, document_id: int) -> str:
    return notify_upload(link_id, document_id)


def enqueue_notice(task_obj, *args):
    from .tasks import enqueue_off_request

    try:
        return enqueue_off_request(task_obj, *args)
    except Exception as exc:  # a queue outage must never break the visitor's request
        logger.error("Notification task could not be queued: %s", type(exc).__name__)
        return None


def send_expiry_notices(now=None) -> int:
    """Queue one expiry notice for each active link that expires within 3 days.

    Each link is claimed with a conditional UPDATE of ``expiry_notified_at`` first, so
    it is told once however often (and from however many processes) the job runs;
    changing a link's expiry clears the mark.
    """
    from . import editing

    now = now or timezone.now()
    links = editing.expiring_between(
        now, now + datetime.timedelta(days=EXPIRY_NOTICE_DAYS)
    ).filter(created_by__isnull=False, expiry_notified_at__isnull=True)
    count = 0
    for link_id in links.values_list("pk", flat=True):
        claimed = ShareLink.objects.filter(
            pk=link_id, expiry_notified_at__isnull=True
        ).update(expiry_notified_at=now)
        if claimed:
            enqueue_notice(expiring_task, link_id)
            count += 1
    return count


def send_person_expiry_notices(now=None) -> int:
    """Queue one notice for each person whose own access ends within 3 days, on a
    link that works: claimed like the link notices (``expiry_notified_at``), once."""
    now = now or timezone.now()
    rows = Recipient.objects.filter(
        expires_at__gt=now,
        expires_at__lte=now + datetime.timedelta(days=EXPIRY_NOTICE_DAYS),
        expiry_notified_at__isnull=True,
        link__created_by__isnull=False,
        link__revoked_at__isnull=True,
    ).exclude(link__expires_at__lte=now)
    count = 0
    for recipient_id in rows.values_list("pk", flat=True):
        claimed = Recipient.objects.filter(
            pk=recipient_id, expiry_notified_at__isnull=True
        ).update(expiry_notified_at=now)
        if claimed:
            enqueue_notice(person_expiring_task, recipient_id)
            count += 1
    return count


# Signal receivers, connected by signal_handlers.register() --------------------------------

# Notices raised while a request is being served wait until its response has been sent
# (``request_finished``, which the WSGI server triggers by closing the response). With
# the immediate task backend the email would otherwise go out inside the request, and
# an unlisted address would take longer to answer than a listed one: exactly the
# timing tell that S7 forbids.
_pending: ContextVar[list | None] = ContextVar("securelink_notices", default=None)


def _defer(task_obj, *args) -> None:
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


def on_visitor_verified(sender, link, recipient=None, **kwargs):
    # ``recipient`` is the row as loaded before this verification, so an empty
    # first_opened_at means this is the first time.
    if recipient is None or recipient.first_opened_at is not None:
        return
    _defer(first_open_task, recipient.pk)


def on_upload(link, document) -> None:
    """Tell the sharer that a file arrived (after the response, like every notice)."""
    _defer(upload_task, link.pk, document.pk)


def on_access_event_saved(sender, instance, created, **kwargs):
    if not created or instance.event != EventType.UNLISTED_ADDRESS:
        return
    _defer(unlisted_attempt_task, instance.pk)
