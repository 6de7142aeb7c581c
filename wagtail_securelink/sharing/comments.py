"""Reviewers' comments on a page preview (SPEC §2 *Page preview*, "optional comments").

A link allows comments when its sharer said so (``allow_comments``). A comment is
plain text: stored as typed (control characters dropped, at most
``PageComment.MAX_LENGTH`` characters), escaped wherever it is shown, never turned
into markup or links. It is signed with the address the reviewer proved, the grant's
recipient or the signed-in account, never with anything the form sends. Each one is
rate limited per network and per link, recorded as an access event, and mailed to the
sharer after the response (``later``), like every notice.
"""

import logging
import unicodedata

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_tasks import task

from wagtail_securelink.audit.events import record_event
from wagtail_securelink.choices import EventType, PageRevision, TargetType
from wagtail_securelink.mail.notices import manage_url, send_notice, sharer_address
from wagtail_securelink.models import PageComment
from wagtail_securelink.ratelimit import rules as ratelimits
from wagtail_securelink.tasks.background import later

__all__ = [
    "MAX_LENGTH",
    "accepts_comments",
    "clean_body",
    "author_of",
    "add_comment",
    "comments_for",
    "notify_comment",
    "comment_task",
]

logger = logging.getLogger(__name__)

MAX_LENGTH = PageComment.MAX_LENGTH
# Kept as typed: line breaks and tabs. Every other control character (a NUL, which
# PostgreSQL refuses in text, a bell, a bidi override's neighbours) is dropped.
_KEPT_CONTROLS = {"\n", "\t"}


def accepts_comments(link) -> bool:
    """Whether the link's reviewers may comment: a page preview whose sharer allowed it."""
    return link.target_type == TargetType.PAGE and bool(link.allow_comments)


def clean_body(text) -> str:
    """The comment as it is stored; raises ``ValidationError`` with a clear message."""
    text = str(text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(
        ch
        for ch in text
        if ch in _KEPT_CONTROLS or unicodedata.category(ch) not in ("Cc", "Cs")
    ).strip()
    if not text:
        raise ValidationError(_("Write a comment before sending it."))
    if len(text) > MAX_LENGTH:
        raise ValidationError(
            _(
                "This comment is too long (%(length)s characters). A comment can "
                "have at most %(max)s characters."
            )
            % {"length": len(text), "max": MAX_LENGTH}
        )
    return text


def author_of(access) -> str:
    """The address a comment is signed with: the one the reviewer proved (a
    recipient's), or the signed-in account's; "" when access proves none."""
    if access.recipient is not None:
        return access.recipient.email
    user = access.user
    if user is not None:
        return getattr(user, "email", "") or user.get_username()
    return ""


def _shown_revision_id(link):
    if link.page_version == PageRevision.SHARED:
        return link.page_revision_id
    page = link.page
    return page.latest_revision_id if page is not None else None


def add_comment(link, access, text, *, request) -> PageComment:
    """Record a reviewer's comment on ``link`` and tell the sharer.

    ``access`` is the visitor's access now (``get_access``), checked here again: a
    refusal raises ``PermissionError`` (no access, comments not allowed, no proven
    address), bad text ``ValidationError``. The rate limits count every attempt that
    gets that far and raise ``ratelimits.Limited`` past them.
    """
    if not access.ok or not accepts_comments(link):
        raise PermissionError("comments are not allowed here")
    email = author_of(access)
    if not email:
        raise PermissionError("no proven address to sign the comment with")
    ratelimits.check_limits(request, ratelimits.COMMENT, link)
    body = clean_body(text)
    with transaction.atomic():
        comment = PageComment.objects.create(
            link=link,
            recipient=access.recipient,
            email=email,
            body=body,
            revision_id=_shown_revision_id(link),
        )
        record_event(
            EventType.COMMENTED,
            link=link,
            recipient=access.recipient,
            email=email,
            request=request,
            detail={
                "comment": comment.pk,
                "page": link.page_id,
                "revision": comment.revision_id,
                "length": len(body),
            },
        )
    later(comment_task, comment.pk)
    return comment


def comments_for(link_ids) -> dict[int, list[PageComment]]:
    """``{link id: its comments, newest first}`` for the links of one page."""
    found: dict[int, list[PageComment]] = {}
    for comment in PageComment.objects.filter(link_id__in=list(link_ids)).order_by(
        "-created_at", "-pk"
    ):
        found.setdefault(comment.link_id, []).append(comment)
    return found


def notify_comment(comment_id: int) -> str:
    """Email the sharer one reviewer's comment (plain text first; escaped in HTML)."""
    comment = (
        PageComment.objects.select_related("link__created_by")
        .filter(pk=comment_id)
        .first()
    )
    if comment is None:
        return "skipped"
    link = comment.link
    to = sharer_address(link)
    if not to:
        return "skipped"
    context = {"link": link, "comment": comment, "manage_url": manage_url(link)}
    return send_notice("notify_comment", context, to, user=link.created_by)


@task()
def comment_task(comment_id: int) -> str:
    return notify_comment(comment_id)
