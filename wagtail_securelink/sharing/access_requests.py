"""Access requests: "Didn't get a code? Ask the person who shared this".

The page after *Send code* offers every visitor the same form, and ``ask`` does the
same work in the request for every address (S7): it only returns a callable that the
view runs after the response has been sent. That callable records the request and
tells the sharer, at most once per address, link and day, and at most
``NOTICES_PER_LINK`` addresses per link and day. *Approve* adds the address (an
invitation goes out), *Decline* sends a polite answer; both are access events and
Wagtail log entries. The sharer's email links carry a signed, expiring reference to
the request (``sign`` / ``unsign``); the page they open still needs an admin login
and the right to manage the link.
"""

import datetime
import logging

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task
from wagtail.log_actions import log

from wagtail_securelink.audit.events import Visit, record_event
from wagtail_securelink.choices import Audience, EventType
from wagtail_securelink.mail.invitations import resend_invitation
from wagtail_securelink.mail.notices import (
    admin_url,
    manage_url,
    send_notice,
    sharer_address,
)
from wagtail_securelink.models import AccessRequest, ShareLink
from wagtail_securelink.sharing.recipients import add_recipients
from wagtail_securelink.tasks.background import later

__all__ = [
    "NOTICE_EVERY",
    "NOTICES_PER_LINK",
    "MAX_MESSAGE",
    "ask",
    "ask_task",
    "approve",
    "decline",
    "sign",
    "unsign",
    "pending_for",
    "review_path",
    "review_url",
    "notify_access_request",
    "notify_decline",
    "access_request_task",
    "decline_task",
    "defer_access_request_notice",
    "defer_decline_notice",
]

logger = logging.getLogger(__name__)

NOTICE_EVERY = datetime.timedelta(days=1)
NOTICES_PER_LINK = 10
MAX_MESSAGE = 1000
# How long the Approve / Decline links of the sharer's email stay valid.
SIGNED_MAX_AGE = datetime.timedelta(days=14)
_SALT = "wagtail_securelink.access_request"


def sign(access_request: AccessRequest) -> str:
    return signing.dumps({"r": access_request.pk}, salt=_SALT, compress=True)


def unsign(value: str) -> int | None:
    """The request id a signed reference names, or ``None`` (forged or too old)."""
    try:
        data = signing.loads(value, salt=_SALT, max_age=SIGNED_MAX_AGE)
    except signing.BadSignature:
        return None
    return data.get("r") if isinstance(data, dict) else None


def review_path(access_request: AccessRequest) -> str:
    return reverse(
        "wagtail_securelink_admin:access_request", args=[sign(access_request)]
    )


def review_url(access_request: AccessRequest) -> str:
    return admin_url(review_path(access_request))


def ask(link: ShareLink, email: str, message: str, request) -> None:
    """Queue what a visitor's request for access leads to, for after the response.

    ``email`` must already be normalised. The same for every address (S7).
    """
    message = (message or "").strip()[:MAX_MESSAGE]
    later(ask_task, link.pk, email, message, Visit.of(request).as_dict())


@task()
def ask_task(link_id: int, email: str, message: str, visit: dict) -> None:
    link = ShareLink.objects.filter(pk=link_id).first()
    if link is None:
        return
    try:
        _record(link, email, message, Visit(**visit))
    except Exception:
        logger.exception("Recording an access request failed")


def _record(link, email, message, visit) -> None:
    if link.audience != Audience.SPECIFIC or not link.is_active():
        return
    now = timezone.now()
    since = now - NOTICE_EVERY
    recent = AccessRequest.objects.filter(link=link, created_at__gte=since)
    if recent.filter(email=email).exists():
        return  # once per address and day
    if recent.values("email").distinct().count() >= NOTICES_PER_LINK:
        return
    with transaction.atomic():
        row = AccessRequest.objects.create(
            link=link, email=email, message=message, created_at=now
        )
        record_event(
            EventType.ACCESS_REQUESTED,
            link=link,
            email=email,
            visit=visit,
            detail={"request": row.pk},
        )
    defer_access_request_notice(row.pk)


def _decided(access_request):
    if access_request.decision:
        raise ValidationError(
            _("This request was already answered: %(decision)s.")
            % {"decision": access_request.get_decision_display()}
        )


def approve(access_request: AccessRequest, *, user=None, request=None) -> None:
    """Add the address to the link (the invitation goes out) and close the request."""
    _decided(access_request)
    link = access_request.link
    with transaction.atomic():
        rows = add_recipients(
            link, [access_request.email], added_by=user, request=request
        )
        _close(access_request, AccessRequest.APPROVED, user, request)
    if not rows:  # already listed: send the invitation again
        existing = link.recipients.filter(email=access_request.email).first()
        if existing is not None:
            resend_invitation(existing, user=user, request=request)


def decline(access_request: AccessRequest, *, user=None, request=None) -> None:
    """Close the request and tell the visitor, politely, that it was declined."""
    _decided(access_request)
    with transaction.atomic():
        _close(access_request, AccessRequest.DECLINED, user, request)
    defer_decline_notice(access_request.pk)


def _close(access_request, decision, user, request) -> None:
    now = timezone.now()
    claimed = AccessRequest.objects.filter(pk=access_request.pk, decision="").update(
        decision=decision, decided_at=now, decided_by=user
    )
    if not claimed:
        raise ValidationError(_("This request was already answered."))
    access_request.decision, access_request.decided_at = decision, now
    event = (
        EventType.ACCESS_REQUEST_APPROVED
        if decision == AccessRequest.APPROVED
        else EventType.ACCESS_REQUEST_DECLINED
    )
    record_event(
        event,
        link=access_request.link,
        email=access_request.email,
        user=user,
        request=request,
        detail={"request": access_request.pk},
    )
    log(
        instance=access_request.link,
        action="wagtail_securelink.change",
        user=user,
        data={"field": f"access_request_{decision}"},
    )


def pending_for(links) -> dict:
    """Open requests of these links, by link id (one query), for Manage access."""
    found = {}
    for row in AccessRequest.objects.filter(link__in=links, decision="").order_by(
        "created_at"
    ):
        found.setdefault(row.link_id, []).append(row)
    return found


# The notices: to the sharer (Approve / Decline), and the polite answer to the visitor.


def notify_access_request(request_id: int) -> str:
    """A visitor asked for access: tell the sharer, with Approve and Decline."""
    row = (
        AccessRequest.objects.select_related("link__created_by")
        .filter(pk=request_id, decision="")
        .first()
    )
    if row is None or not row.link.is_active():
        return "skipped"
    to = sharer_address(row.link)
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
    return send_notice("notify_access_request", context, to, user=row.link.created_by)


def notify_decline(request_id: int) -> str:
    """Tell the visitor, politely, that their request was declined. Names no item:
    the visitor may never have been able to open it."""
    row = AccessRequest.objects.filter(pk=request_id, decision="declined").first()
    if row is None:
        return "skipped"
    return send_notice("access_declined", {"email": row.email}, row.email)


@task()
def access_request_task(request_id: int) -> str:
    return notify_access_request(request_id)


@task()
def decline_task(request_id: int) -> str:
    return notify_decline(request_id)


def defer_access_request_notice(request_id: int) -> None:
    later(access_request_task, request_id)


def defer_decline_notice(request_id: int) -> None:
    later(decline_task, request_id)
