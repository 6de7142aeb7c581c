"""Notifications to the sharer (SPEC §5), sent through ``django_tasks`` like every email.

* **First open**: a recipient verified for the first time (``visitor_verified``).
* **Forward attempt**: an unlisted address asked for a code on a ``specific`` link
  (an ``unlisted_address`` access event), with a one-click *Add this person* that
  opens Manage access with the address filled in; the editor still confirms.
* **Expires in 3 days**: found by ``securelink_digest --expiry-notices`` (run daily),
  with a one-click *Extend* that opens Manage access with a later date filled in.
* **Weekly digest** (``digest``) and **access requests** (``access_requests``) have
  their own modules; how a notice is written and sent is ``notices``.
* **File received**: a visitor uploaded a file through a link; it is private (S16)
  and the notice links to the document in the admin, to review and publish it.

The policy switches the first two on or off. Tasks take row ids only. A notice never
holds a token, a code or a password; the links in it lead to the admin, where the
editor signs in as usual.
"""

import datetime

from django.urls import reverse
from django.utils import timezone
from django_tasks import task
from wagtail.documents import get_document_model

from wagtail_securelink.choices import Audience, EventType
from wagtail_securelink.core.paths import manage_access_path
from wagtail_securelink.mail.digest import expiring_between
from wagtail_securelink.mail.notices import (
    admin_url,
    manage_url,
    send_notice,
    sharer_address,
)
from wagtail_securelink.models import AccessEvent, PrivateItem, Recipient, ShareLink
from wagtail_securelink.models.policy import current_policy
from wagtail_securelink.tasks.background import dispatch, later

__all__ = [
    "notify_first_open",
    "notify_unlisted_attempt",
    "notify_expiring",
    "notify_person_expiring",
    "notify_upload",
    "send_expiry_notices",
    "send_person_expiry_notices",
    "on_visitor_verified",
    "on_upload",
    "on_access_event_saved",
    "EXPIRY_NOTICE_DAYS",
]

EXPIRY_NOTICE_DAYS = 3
# One forward-attempt notice per (link, address) per day: a visitor retrying must not
# flood the sharer's inbox.
UNLISTED_NOTICE_EVERY = datetime.timedelta(days=1)
# And at most this many forward-attempt notices per link per day, whatever the
# addresses: someone typing many addresses must not flood the sharer either. The
# notice says so, and Manage access / the activity report list every attempt.
UNLISTED_NOTICES_PER_LINK = 10


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
    to = sharer_address(link)
    if not to:
        return "skipped"
    context = {"link": link, "recipient": recipient, "manage_url": manage_url(link)}
    return send_notice("notify_first_open", context, to, user=link.created_by)


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
    to = sharer_address(link)
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
    return send_notice("notify_unlisted", context, to, user=link.created_by)


def notify_expiring(link_id: int) -> str:
    link = ShareLink.objects.select_related("created_by").filter(pk=link_id).first()
    if link is None or not link.is_active() or link.expires_at is None:
        return "skipped"
    to = sharer_address(link)
    if not to:
        return "skipped"
    context = {
        "link": link,
        "manage_url": manage_url(link),
        "extend_url": manage_url(link, {"extend": link.pk}),
    }
    return send_notice("notify_expiring", context, to, user=link.created_by)


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
    to = sharer_address(link)
    if not to:
        return "skipped"
    context = {
        "link": link,
        "recipient": recipient,
        "manage_url": manage_url(link),
    }
    return send_notice("notify_person_expiring", context, to, user=link.created_by)


def notify_upload(link_id: int, document_id: int) -> str:
    link = ShareLink.objects.select_related("created_by").filter(pk=link_id).first()
    document = get_document_model().objects.filter(pk=document_id).first()
    if link is None or document is None:
        return "skipped"
    to = sharer_address(link)
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
    return send_notice("notify_upload", context, to, user=link.created_by)


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
def upload_task(link_id: int, document_id: int) -> str:
    return notify_upload(link_id, document_id)


def send_expiry_notices(now=None) -> int:
    """Queue one expiry notice for each active link that expires within 3 days.

    Each link is claimed with a conditional UPDATE of ``expiry_notified_at`` first, so
    it is told once however often (and from however many processes) the job runs;
    changing a link's expiry clears the mark.
    """
    now = now or timezone.now()
    links = expiring_between(
        now, now + datetime.timedelta(days=EXPIRY_NOTICE_DAYS)
    ).filter(created_by__isnull=False, expiry_notified_at__isnull=True)
    count = 0
    for link_id in links.values_list("pk", flat=True):
        claimed = ShareLink.objects.filter(
            pk=link_id, expiry_notified_at__isnull=True
        ).update(expiry_notified_at=now)
        if claimed:
            dispatch(expiring_task, link_id)
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
            dispatch(person_expiring_task, recipient_id)
            count += 1
    return count


# Signal receivers, connected by signal_handlers.register() --------------------------------


def on_visitor_verified(sender, link, recipient=None, **kwargs):
    # ``recipient`` is the row as loaded before this verification, so an empty
    # first_opened_at means this is the first time.
    if recipient is None or recipient.first_opened_at is not None:
        return
    later(first_open_task, recipient.pk)


def on_upload(link, document) -> None:
    """Tell the sharer that a file arrived (after the response, like every notice)."""
    later(upload_task, link.pk, document.pk)


def on_access_event_saved(sender, instance, created, **kwargs):
    if not created or instance.event != EventType.UNLISTED_ADDRESS:
        return
    later(unlisted_attempt_task, instance.pk)
