"""Share links: create one, change its expiry, extend it, revoke it (SPEC §2).

Each change is an access event *and* a Wagtail audit log entry (so it shows in *Site
history*). What the policy allows is checked in ``link_rules`` first; a refusal raises
``ValidationError`` with a dict of field errors, and nothing is written then.
"""

import datetime

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from wagtail_securelink import signals
from wagtail_securelink.audit.events import record_event
from wagtail_securelink.choices import Audience, EventType, PageRevision, TargetType
from wagtail_securelink.core.tokens import new_link_key
from wagtail_securelink.mail.invitations import send_invitations_to
from wagtail_securelink.models import ShareLink
from wagtail_securelink.models.policy import current_policy
from wagtail_securelink.policy import enforcement, link_rules
from wagtail_securelink.sharing import privacy
from wagtail_securelink.sharing.recipients import (
    clean_access_end,
    clean_recipients,
    create_recipients,
)

__all__ = [
    "create_link",
    "change_expiry",
    "revoke_link",
    "revoke_links",
]


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
    page_version: str = PageRevision.LATEST,
    allow_comments: bool = False,
) -> ShareLink:
    """Create a share link to a document, a collection or a page and optionally email
    the recipients.

    A page link is a preview (SPEC §2 *Page preview*): role ``view``, for specific
    people or people signed in, within the policy's maximum for page previews.
    ``page_version`` ``latest`` follows the page's draft; ``shared`` shows the
    revision current now, whatever is saved later. ``allow_comments`` lets its
    reviewers send the sharer comments (``comments``).

    A ``specific`` or ``organization`` link makes its item private (S16) unless
    ``keep_public`` is true or the policy's ``private_by_default`` is off; the returned
    link's ``privacy`` attribute says what happened (see ``privacy.apply_share``).
    ``language`` is the recipients' (every email to them is written in it); left
    empty, the visitor's browser decides on their first visit (``languages``).

    Raises ``ValidationError`` (with a dict of field errors) when the policy or the
    input refuses the link; nothing is created then. The returned link has an
    ``invitations`` attribute (an ``InvitationReport``) when invitations were sent.
    """
    policy = current_policy()
    target_type = link_rules.target_type(target)
    audience = audience or policy.default_audience
    role = role or policy.default_role
    if expires_at is None and policy.effective_default_expiry_days:
        expires_at = timezone.now() + datetime.timedelta(
            days=policy.effective_default_expiry_days
        )
    expires_at = link_rules.clean_link_options(
        target_type=target_type,
        audience=audience,
        role=role,
        expires_at=expires_at,
        reverification_days=reverification_days,
        password=password,
        policy=policy,
    )
    addresses = clean_recipients(recipients, policy)
    recipient_expires_at = clean_access_end(recipient_expires_at)
    if audience == Audience.SPECIFIC and not addresses:
        raise ValidationError({"recipients": _("Add at least one email address.")})
    if audience != Audience.SPECIFIC and addresses:
        raise ValidationError(
            {"recipients": _("Recipients apply to links for specific people only.")}
        )
    page_revision = None
    if target_type == TargetType.PAGE:
        page_revision = _shared_revision(target, page_version)
    elif allow_comments:
        raise ValidationError(
            {"allow_comments": _("Only a page preview takes comments.")}
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
            page=target if target_type == TargetType.PAGE else None,
            page_version=page_version
            if target_type == TargetType.PAGE
            else PageRevision.LATEST,
            page_revision=page_revision,
            allow_comments=bool(allow_comments),
            include_descendants=include_descendants,
            target_title=_target_title(target, target_type)[:255],
            audience=audience,
            role=role,
            password=make_password(password) if password else "",
            reverification_days=reverification_days,
            message=message.strip(),
            expires_at=expires_at,
            created_by=created_by,
            # The policy's watermark cannot be switched off per link (SPEC §6).
            watermark=policy.watermark_by_default or bool(watermark),
            watermark_downloads=watermark_downloads,
            max_opens=max_opens or None,
            max_downloads=max_downloads or None,
            terms=(policy.default_terms if terms is None else terms).strip(),
            notify_downloads=bool(notify_downloads),
        )
        if groups:
            link.groups.set(groups)
        rows = create_recipients(
            link,
            addresses,
            added_by=created_by,
            language=language,
            expires_at=recipient_expires_at,
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
                **({"comments": True} if allow_comments else {}),
                **({"groups": [g.pk for g in groups]} if groups else {}),
            },
        )
        log(instance=link, action="wagtail_securelink.create", user=created_by)
        # A draft page is never public: there is no privacy to decide (S16 is about
        # Wagtail's own document URLs).
        link.privacy = (
            ""
            if target_type == TargetType.PAGE
            else privacy.apply_share(
                link,
                keep_public=keep_public,
                policy=policy,
                user=created_by,
                request=request,
            )
        )
    signals.link_created.send(sender=ShareLink, link=link, user=created_by)
    if send_invitations and rows:
        link.invitations = send_invitations_to(link, rows)
    return link


def _target_title(target, target_type: str) -> str:
    # A page is named as the admin names it: by its draft's title.
    if target_type == TargetType.PAGE:
        return target.draft_title or target.title
    return str(target)


def _shared_revision(page, page_version: str):
    """The revision a ``shared`` page link pins, or ``None`` for one that follows the
    draft. Raises ``ValidationError`` when there is nothing to pin."""
    if page_version not in PageRevision.values:
        raise ValidationError({"page_version": _("Unknown choice.")})
    if page_version == PageRevision.LATEST:
        return None
    revision = page.get_latest_revision()
    if revision is None:
        raise ValidationError(
            {"page_version": _("This page has no saved revision to share yet.")}
        )
    return revision


def revoke_link(
    link: ShareLink, *, user=None, request=None, reason: str = ""
) -> ShareLink:
    """End ``link`` for everyone at once; ``reason`` (audit detail) says why when no
    editor asked (``"page_unpublished"``)."""
    if link.revoked_at is not None:
        return link
    now = timezone.now()
    with transaction.atomic():
        ShareLink.objects.filter(pk=link.pk).update(revoked_at=now, revoked_by=user)
        link.revoked_at, link.revoked_by = now, user
        link.grants.filter(ended_at__isnull=True).update(
            ended_at=now, end_reason="revoked"
        )
        record_event(
            EventType.LINK_REVOKED,
            link=link,
            user=user,
            request=request,
            detail={"reason": reason} if reason else None,
        )
        log(instance=link, action="wagtail_securelink.revoke", user=user)
    signals.link_revoked.send(sender=ShareLink, link=link, user=user)
    return link


def change_expiry(
    link: ShareLink,
    expires_at: datetime.datetime | None,
    *,
    user=None,
    request=None,
) -> ShareLink:
    """Set a new expiry (``None``: never). Raises ``ValidationError`` on refusal.

    A revoked link cannot be brought back by a new date: revocation is final. An
    expired link can be given a new future date, which makes it work again.
    """
    policy = current_policy(request)
    now = timezone.now()
    if link.is_revoked:
        raise ValidationError(
            {"expires_at": _("This link was revoked; it cannot be changed.")}
        )
    # One rule with the share form's (``enforcement.clean_expiry``): no expiry on an
    # ``anyone`` link becomes the policy's limit, and the limit's own day is accepted.
    expires_at = enforcement.clean_expiry(
        link.audience, expires_at, policy, created_at=link.created_at
    )
    old = link.expires_at
    with transaction.atomic():
        ShareLink.objects.filter(pk=link.pk).update(
            expires_at=expires_at, updated_at=now, expiry_notified_at=None
        )
        link.expires_at = expires_at
        record_event(
            EventType.LINK_CHANGED,
            link=link,
            user=user,
            request=request,
            detail={
                "field": "expires_at",
                "old": old.isoformat() if old else None,
                "new": expires_at.isoformat() if expires_at else None,
            },
        )
        log(
            instance=link,
            action="wagtail_securelink.change",
            user=user,
            data={"field": "expires_at"},
        )
    return link


def revoke_links(links: QuerySet, *, user=None, request=None, reason: str = "") -> int:
    """Revoke each active link of ``links`` (already filtered by permission)."""
    count = 0
    for link in links.filter(revoked_at__isnull=True):
        revoke_link(link, user=user, request=request, reason=reason)
        count += 1
    return count


def on_page_unpublished(sender, instance, **kwargs) -> None:
    """Wagtail's ``page_unpublished``: taking a page down ends its previews too (the
    reviewers' next request shows the removed page), whoever unpublished it. Publishing
    it again does not bring them back: share it again.

    Wagtail also sends it when a live page is deleted, unpublished without saving
    (``commit=False``): the row still says live, and the deleted page's links answer
    "no longer available" (410) as a deleted document's do."""
    if type(instance).objects.filter(pk=instance.pk, live=True).exists():
        return
    revoke_links(ShareLink.objects.filter(page=instance), reason="page_unpublished")
