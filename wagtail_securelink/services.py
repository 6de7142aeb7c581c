"""The one API of wagtail-securelink: admin views, management commands and tests call it.

Editor side: ``create_link``, ``add_recipients``, ``remove_recipient``, ``revoke_link``,
``unlock_recipient``, ``send_invitations``, and from ``editing``: ``change_expiry``,
``extend_link``, ``resend_invitation``, ``revoke_links``, and from ``people`` (one
address across every link): ``people_for``, ``recipients_of``, ``set_access_end``,
``remove_people``, ``unlock_people``, ``resend_to_people``. The visitor side lives in
``access`` and ``verification`` and is re-exported here: ``resolve_token``,
``request_code``, ``verify_code``, ``check_password``, ``get_access``, ``open_grant``,
``end_grant``, ``sign_out``.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from wagtail.log_actions import log
from wagtail.models import Collection

from . import enforcement, languages, people, privacy, signals
from .access import (
    end_grant,
    get_access,
    open_grant,
    resolve_token,
    reverification_days,
    sign_out,
)
from .addresses import normalise_email
from .choices import Audience, EventType, Role, TargetType
from .emails import get_emails
from .enforcement import address_allowed, effective_expiry, is_open, stop_reason
from .events import record_event
from .models import PrivateItem, Recipient, SecureLinkPolicy, ShareLink
from .notifications import on_upload as notify_upload
from .policy import current_policy
from .privacy import item_state, live_pages_using, make_private, make_public
from .tasks import enqueue, send_invitation_email
from .tokens import link_url, new_link_key
from .verification import (
    check_password,
    deliver_code,
    pending_email,
    request_code,
    verify_code,
)

logger = logging.getLogger(__name__)

__all__ = [
    "get_policy",
    "normalise_email",
    "link_url",
    "create_link",
    "add_recipients",
    "remove_recipient",
    "revoke_link",
    "unlock_recipient",
    "deliver_invitation",
    "InvitationReport",
    # re-exported from .access
    "resolve_token",
    "request_code",
    "check_password",
    "deliver_code",
    "verify_code",
    "get_access",
    "open_grant",
    "end_grant",
    "sign_out",
    "pending_email",
    "reverification_days",
    "record_event",
    # re-exported from .enforcement
    "address_allowed",
    "effective_expiry",
    "is_open",
    "stop_reason",
    "erase_address",
    # private items (S16), from .privacy
    "item_state",
    "live_pages_using",
    "make_public",
    "make_private",
    "notify_upload",
    # re-exported from .editing
    "change_expiry",
    "extend_link",
    "resend_invitation",
    "revoke_links",
    # people outside the organisation, from .people
    "people_for",
    "recipients_of",
    "set_access_end",
    "remove_people",
    "unlock_people",
    "resend_to_people",
]


def get_policy(request=None, *, link=None) -> SecureLinkPolicy:
    """The site's policy; cached on ``request`` when given, so one request reads it once.

    A ``link`` from ``resolve_token`` carries the stored policy's version: while it is
    unchanged, this thread's copy is used and no query is made (``current_policy``).
    """
    return current_policy(request, version=getattr(link, "policy_version", None))


def clean_recipients(addresses, policy: SecureLinkPolicy) -> list[str]:
    """Normalise and de-duplicate addresses; raise one error naming every refused one."""
    invalid, refused, clean = [], [], []
    for raw in addresses:
        if not (raw or "").strip():
            continue
        try:
            address = normalise_email(raw)
        except ValidationError:
            invalid.append(raw.strip()[:100])
            continue
        if not address_allowed(address, policy):
            refused.append(address)
            continue
        if address not in clean:
            clean.append(address)
    messages = []
    if invalid:
        messages.append(
            ngettext(
                "This is not a valid email address: %(list)s",
                "These are not valid email addresses: %(list)s",
                len(invalid),
            )
            % {"list": ", ".join(invalid)}
        )
    if refused:
        messages.append(
            ngettext(
                "The site's policy does not allow sharing with %(list)s",
                "The site's policy does not allow sharing with these addresses: %(list)s",
                len(refused),
            )
            % {"list": ", ".join(refused)}
        )
    if messages:
        raise ValidationError({"recipients": messages})
    return clean


def _target_type(target) -> str:
    if isinstance(target, Collection):
        return TargetType.COLLECTION
    from wagtail.documents import get_document_model

    if isinstance(target, get_document_model()):
        return TargetType.DOCUMENT
    raise ValidationError(_("Only documents and collections can be shared."))


def _clean_link_options(
    *, target_type, audience, role, expires_at, reverification_days, password, policy
):
    """Check the options against the policy; return the (possibly forced) expiry."""
    errors = {}
    if audience not in Audience.values or not policy.audience_allowed(audience):
        errors["audience"] = _("The site's policy does not allow this kind of link.")
    if role not in Role.values:
        errors["role"] = _("Unknown role.")
    elif role == Role.UPLOAD and target_type == TargetType.DOCUMENT:
        errors["role"] = _(
            "'Upload only' works on collections, not on a single document."
        )
    elif audience in Audience.values and not policy.role_allowed(audience, role):
        errors["role"] = _(
            "The site's policy does not allow this role on this kind of link."
        )
    try:
        expires_at = enforcement.clean_expiry(audience, expires_at, policy)
    except ValidationError as error:
        errors.update(error.message_dict)
    if password and audience != Audience.ANYONE:
        errors["password"] = _("Only links that work for anyone can have a password.")
    if reverification_days is not None and not (
        1 <= reverification_days <= policy.reverification_days
    ):
        errors["reverification_days"] = _(
            "The reverification period must be between 1 and %(max)s days."
        ) % {"max": policy.reverification_days}
    if errors:
        raise ValidationError(errors)
    return expires_at


def create_link(
    *,
    target,
    created_by=None,
    recipients=(),
    audience: str | None = None,
    role: str | None = None,
    expires_at: datetime.datetime | None = None,
    message: str = "",
    password: str = "",
    reverification_days: int | None = None,
    include_descendants: bool = True,
    send_invitations: bool = True,
    keep_public: bool = False,
    language: str = "",
    recipient_expires_at: datetime.datetime | None = None,
    groups=(),
    request=None,
    watermark: bool | None = None,
    watermark_downloads: bool = False,
    max_opens: int | None = None,
    max_downloads: int | None = None,
    terms: str | None = None,
    notify_downloads: bool = False,
) -> ShareLink:
    """Create a share link to a document or a collection and optionally email the recipients.

    A ``specific`` or ``organization`` link makes its item private (S16) unless
    ``keep_public`` is true or the policy's ``private_by_default`` is off; the returned
    link's ``privacy`` attribute says what happened (see ``privacy.apply_share``).
    ``language`` is the recipients' (every email to them is written in it); left
    empty, the visitor's browser decides on their first visit (``languages``).

    Raises ``ValidationError`` (with a dict of field errors) when the policy or the
    input refuses the link; nothing is created then. The returned link has an
    ``invitations`` attribute (an ``InvitationReport``) when invitations were sent.
    """
    policy = get_policy()
    target_type = _target_type(target)
    audience = audience or policy.default_audience
    role = role or policy.default_role
    if expires_at is None and policy.effective_default_expiry_days:
        expires_at = timezone.now() + datetime.timedelta(
            days=policy.effective_default_expiry_days
        )
    expires_at = _clean_link_options(
        target_type=target_type,
        audience=audience,
        role=role,
        expires_at=expires_at,
        reverification_days=reverification_days,
        password=password,
        policy=policy,
    )
    addresses = clean_recipients(recipients, policy)
    recipient_expires_at = people.clean_access_end(recipient_expires_at)
    if audience == Audience.SPECIFIC and not addresses:
        raise ValidationError({"recipients": _("Add at least one email address.")})
    if audience != Audience.SPECIFIC and addresses:
        raise ValidationError(
            {"recipients": _("Recipients apply to links for specific people only.")}
        )
    groups = list(groups or ())
    if groups and audience != Audience.ORGANIZATION:
        raise ValidationError(
            {"groups": _("Groups apply to links for people signed in only.")}
        )

    with transaction.atomic():
        link = ShareLink.objects.create(
            key=new_link_key(),
            target_type=target_type,
            document=target if target_type == TargetType.DOCUMENT else None,
            collection=target if target_type == TargetType.COLLECTION else None,
            include_descendants=include_descendants,
            target_title=str(target)[:255],
            audience=audience,
            role=role,
            password=make_password(password) if password else "",
            reverification_days=reverification_days,
            message=message.strip(),
            expires_at=expires_at,
            created_by=created_by,
            watermark=policy.watermark_by_default if watermark is None else watermark,
            watermark_downloads=watermark_downloads,
            max_opens=max_opens or None,
            max_downloads=max_downloads or None,
            terms=(policy.default_terms if terms is None else terms).strip(),
            notify_downloads=bool(notify_downloads),
        )
        if groups:
            link.groups.set(groups)
        rows = Recipient.objects.bulk_create(
            [
                Recipient(
                    link=link,
                    email=a,
                    added_by=created_by,
                    language=languages.supported(language),
                    expires_at=recipient_expires_at,
                )
                for a in addresses
            ]
        )
        record_event(
            EventType.LINK_CREATED,
            link=link,
            user=created_by,
            request=request,
            detail={
                "audience": audience,
                "role": role,
                "recipients": len(rows),
                **({"groups": [g.pk for g in groups]} if groups else {}),
            },
        )
        log(instance=link, action="wagtail_securelink.create", user=created_by)
        link.privacy = privacy.apply_share(
            link,
            keep_public=keep_public,
            policy=policy,
            user=created_by,
            request=request,
        )
    signals.link_created.send(sender=ShareLink, link=link, user=created_by)
    if send_invitations and rows:
        link.invitations = send_invitations_to(link, rows)
    return link


@dataclass
class InvitationReport:
    sent: list[str] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def send_invitations_to(link: ShareLink, recipients) -> InvitationReport:
    report = InvitationReport()
    for recipient in recipients:
        result = enqueue(send_invitation_email, recipient.pk)
        status = getattr(result, "status", None)
        if status is not None and status.name == "SUCCESSFUL":
            bucket = report.sent if result.return_value == "sent" else report.failed
        elif status is not None and status.name == "FAILED":
            bucket = report.failed
        else:
            bucket = report.queued
        bucket.append(recipient.email)
    return report


def deliver_invitation(recipient_id: int) -> str:
    """Build and send one invitation (runs in a task). Returns "sent", "failed" or "skipped"."""
    recipient = (
        Recipient.objects.select_related("link", "link__created_by")
        .filter(pk=recipient_id)
        .first()
    )
    if (
        recipient is None
        or not enforcement.is_open(recipient.link, get_policy())
        or not enforcement.recipient_is_open(recipient)
        or not address_allowed(recipient.email, get_policy())
    ):
        return "skipped"
    link = recipient.link
    try:
        emails = get_emails()
        emails.send(emails.invitation(link, recipient, link_url(link)))
    except (
        Exception
    ) as exc:  # SMTP, template or network errors: report, never half-state
        logger.error(
            "Invitation for link %s could not be sent: %s", link.pk, type(exc).__name__
        )
        record_event(EventType.INVITATION_FAILED, link=link, recipient=recipient)
        return "failed"
    Recipient.objects.filter(pk=recipient.pk).update(invited_at=timezone.now())
    record_event(EventType.INVITATION_SENT, link=link, recipient=recipient)
    return "sent"


def add_recipients(
    link: ShareLink,
    addresses,
    *,
    added_by=None,
    send_invitations=True,
    language: str = "",
    expires_at=None,
    request=None,
):
    """Add addresses to an active ``specific`` link; returns the new ``Recipient`` rows.

    ``expires_at`` is their own end of access ("access until"), if any. Raises
    ``ValidationError`` for any other link and for refused addresses.
    """
    if link.audience != Audience.SPECIFIC or not link.is_active():
        raise ValidationError(
            {
                "recipients": _(
                    "People can only be added to active links for specific people."
                )
            }
        )
    policy = get_policy()
    clean = clean_recipients(addresses, policy)
    expires_at = people.clean_access_end(expires_at)
    existing = set(link.recipients.values_list("email", flat=True))
    new = [a for a in clean if a not in existing]
    with transaction.atomic():
        rows = Recipient.objects.bulk_create(
            [
                Recipient(
                    link=link,
                    email=a,
                    added_by=added_by,
                    language=languages.supported(language),
                    expires_at=expires_at,
                )
                for a in new
            ]
        )
        for row in rows:
            record_event(
                EventType.RECIPIENT_ADDED,
                link=link,
                recipient=row,
                user=added_by,
                request=request,
            )
        if rows:
            log(
                instance=link,
                action="wagtail_securelink.recipient_add",
                user=added_by,
                data={"count": len(rows)},
            )
    if send_invitations and rows:
        send_invitations_to(link, rows)
    return rows


def remove_recipient(recipient: Recipient, *, user=None, request=None) -> None:
    """Remove an address; its grants and codes go with it, so access ends at once (S9)."""
    link = recipient.link
    with transaction.atomic():
        record_event(
            EventType.RECIPIENT_REMOVED,
            link=link,
            recipient=recipient,
            user=user,
            request=request,
        )
        log(instance=link, action="wagtail_securelink.recipient_remove", user=user)
        recipient.delete()


def revoke_link(link: ShareLink, *, user=None, request=None) -> ShareLink:
    if link.revoked_at is not None:
        return link
    now = timezone.now()
    with transaction.atomic():
        ShareLink.objects.filter(pk=link.pk).update(revoked_at=now, revoked_by=user)
        link.revoked_at, link.revoked_by = now, user
        link.grants.filter(ended_at__isnull=True).update(
            ended_at=now, end_reason="revoked"
        )
        record_event(EventType.LINK_REVOKED, link=link, user=user, request=request)
        log(instance=link, action="wagtail_securelink.revoke", user=user)
    signals.link_revoked.send(sender=ShareLink, link=link, user=user)
    return link


def unlock_recipient(recipient: Recipient, *, user=None, request=None) -> None:
    Recipient.objects.filter(pk=recipient.pk).update(locked_at=None, failure_count=0)
    recipient.locked_at, recipient.failure_count = None, 0
    record_event(
        EventType.RECIPIENT_UNLOCKED,
        link=recipient.link,
        recipient=recipient,
        user=user,
        request=request,
    )


def erase_address(address: str) -> dict:
    """Erase a person's data: their recipient rows (with codes and grants) and the email,
    IP and user agent of their access events. The events stay, so the chain (which
    covers a keyed digest of those fields, not the fields) remains verifiable."""
    from .models import AccessEvent, AccessRequest

    address = normalise_email(address)
    with transaction.atomic():
        recipients = list(
            Recipient.objects.filter(email=address).values_list("pk", flat=True)
        )
        events = AccessEvent.objects.filter(
            Q(email=address) | Q(recipient_id__in=recipients)
        ).update(email="", ip_address="", user_agent="")
        PrivateItem.objects.filter(uploaded_by=address).update(uploaded_by="")
        # Their access requests hold the address and their message (issue 15).
        AccessRequest.objects.filter(email=address).delete()
        Recipient.objects.filter(pk__in=recipients).delete()
    logger.info(
        "Erased the data of one address: %s recipients, %s events",
        len(recipients),
        events,
    )
    return {"address": address, "recipients": len(recipients), "events": events}


# Editor-side changes to existing links live in ``editing``; they are part of this API.
from .editing import change_expiry, extend_link, resend_invitation, revoke_links  # noqa: E402
from .people import (  # noqa: E402
    people_for,
    recipients_of,
    remove_people,
    resend_to_people,
    set_access_end,
    unlock_people,
)
