"""The people of a link: its recipients, their requests for access, and the comments
reviewers leave on a page preview."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail_securelink.models.links import ShareLink

__all__ = ["Recipient", "AccessRequest", "PageComment", "open_recipients_q"]


class Recipient(models.Model):
    """One normalised email address on a ``specific`` link."""

    link = models.ForeignKey(
        ShareLink, on_delete=models.CASCADE, related_name="recipients"
    )
    email = models.CharField(_("email address"), max_length=254)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    invited_at = models.DateTimeField(_("invited"), null=True, blank=True)
    first_opened_at = models.DateTimeField(_("first opened"), null=True, blank=True)
    # Consecutive wrong codes across all codes of this recipient on this link (S4).
    # Updated with F() expressions only, so concurrent processes never lose a count.
    failure_count = models.PositiveIntegerField(default=0)
    locked_at = models.DateTimeField(_("locked"), null=True, blank=True)
    last_code_sent_at = models.DateTimeField(null=True, blank=True)
    # Every email to this person is written in it (``languages``); "" until the sharer
    # or the visitor's browser says which.
    language = models.CharField(_("language"), max_length=35, blank=True, default="")
    # Per-person end of access ("access until"), independent of the link's expiry: past
    # it the address is treated as removed on the next request (S9), its grants end.
    expires_at = models.DateTimeField(_("access until"), null=True, blank=True)
    # When the sharer was told this person's access ends soon, so it is told once.
    expiry_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Per-person counts for the link's open and download limits.
    open_count = models.PositiveIntegerField(_("opens"), default=0)
    download_count = models.PositiveIntegerField(_("downloads"), default=0)

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["email"]
        indexes = [
            # The People area: one row per address (its first id) and each person's
            # facts read by address (``sharing.people``).
            models.Index(fields=["email", "id"], name="securelink_recipient_email"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["link", "email"], name="securelink_recipient_unique"
            )
        ]

    def __str__(self):
        return self.email

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    def is_expired(self, now=None) -> bool:
        """Past this person's own end of access (``expires_at``)."""
        return self.expires_at is not None and self.expires_at <= (
            now or timezone.now()
        )


class AccessRequest(models.Model):
    """A visitor asked the sharer for access to a ``specific`` link ("Didn't get a
    code?"). One per address and link and day reaches the sharer; approving adds the
    address as a recipient and sends the invitation, declining sends a polite answer."""

    APPROVED = "approved"
    DECLINED = "declined"
    DECISIONS = [(APPROVED, _("Approved")), (DECLINED, _("Declined"))]

    link = models.ForeignKey(
        ShareLink, on_delete=models.CASCADE, related_name="access_requests"
    )
    email = models.CharField(_("email address"), max_length=254)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("asked"), default=timezone.now, db_index=True)
    decision = models.CharField(
        _("decision"), max_length=20, choices=DECISIONS, blank=True
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("access request")
        verbose_name_plural = _("access requests")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["link", "email", "created_at"])]

    def __str__(self):
        return f"access request {self.pk} on link {self.link_id}"


class PageComment(models.Model):
    """A reviewer's comment on a page preview: plain text, attributed to the address
    the reviewer proved (a recipient's, or a signed-in account's), never to one typed
    in a form. Shown escaped, with no markup and no links made clickable."""

    MAX_LENGTH = 2000

    link = models.ForeignKey(
        ShareLink, on_delete=models.CASCADE, related_name="comments"
    )
    # The recipient row may go (removed from the link); the address stays with the
    # comment until the person is erased (``securelink_erase``).
    recipient = models.ForeignKey(
        Recipient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.CharField(_("email address"), max_length=254)
    body = models.TextField(_("comment"))
    # The revision the reviewer was shown when they wrote it.
    revision = models.ForeignKey(
        "wagtailcore.Revision",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["link", "created_at"], name="securelink_comment_link")
        ]

    def __str__(self):
        return f"comment {self.pk} on link {self.link_id}"


def open_recipients_q(now=None, prefix: str = "") -> Q:
    """``not Recipient.is_expired()`` as a query condition (``prefix`` e.g.
    ``"recipients__"``)."""
    now = now or timezone.now()
    return Q(**{f"{prefix}expires_at__isnull": True}) | Q(
        **{f"{prefix}expires_at__gt": now}
    )
