"""Share links (SPEC §2 *Link*): what a URL opens, for whom, until when."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.documents import get_document_model_string

from wagtail_securelink.choices import Audience, EventType, Role, TargetType
from wagtail_securelink.core.tokens import link_url, make_token

__all__ = ["ShareLinkQuerySet", "ShareLink"]


class ShareLinkQuerySet(models.QuerySet):
    def active(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )

    def expired(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__lte=now)

    def revoked(self):
        return self.filter(revoked_at__isnull=False)


class ShareLink(models.Model):
    """A URL that grants access to one document or collection (SPEC §2)."""

    # 128 random bits; the URL token is this key plus an HMAC that is stored nowhere (S1).
    key = models.CharField(max_length=32, unique=True, editable=False)
    target_type = models.CharField(
        _("target type"), max_length=20, choices=TargetType.choices
    )
    # SET_NULL keeps the link (and its audit trail) when the item is deleted, so the
    # visitor gets "document deleted" (410) instead of "unknown link" (404).
    document = models.ForeignKey(
        get_document_model_string(),
        verbose_name=_("document"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    collection = models.ForeignKey(
        "wagtailcore.Collection",
        verbose_name=_("collection"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    include_descendants = models.BooleanField(_("include subcollections"), default=True)
    target_title = models.CharField(_("title"), max_length=255, blank=True)
    audience = models.CharField(
        _("audience"),
        max_length=20,
        choices=Audience.choices,
        default=Audience.SPECIFIC,
    )
    role = models.CharField(
        _("role"), max_length=20, choices=Role.choices, default=Role.DOWNLOAD
    )
    password = models.CharField(
        _("password"), max_length=128, blank=True, editable=False
    )
    reverification_days = models.PositiveIntegerField(
        _("reverification period (days)"), null=True, blank=True
    )
    message = models.TextField(_("message"), blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_opened_at = models.DateTimeField(_("last opened"), null=True, blank=True)
    # When the sharer was told the link expires soon, so the notice goes out once.
    expiry_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    open_count = models.PositiveIntegerField(_("opens"), default=0)
    # An ``organization`` link limited to members of these Wagtail groups; empty: any
    # active account (SPEC §2).
    groups = models.ManyToManyField(
        "auth.Group",
        verbose_name=_("limited to groups"),
        blank=True,
        related_name="+",
    )
    # View-only links (issue 16): the viewer's address, the date and the link's short
    # id burned into every rendered page; the default comes from the policy.
    watermark = models.BooleanField(_("watermark rendered pages"), default=True)
    # Stamp the same line into downloaded PDFs (pypdf); a PDF above the policy's cap
    # is then refused rather than sent unstamped.
    watermark_downloads = models.BooleanField(
        _("watermark downloaded PDFs"), default=False
    )
    # Open and download limits (issue 16): empty means no limit. Counted with
    # conditional UPDATEs (``limits``), so concurrent processes never overshoot.
    max_opens = models.PositiveIntegerField(
        _("at most this many opens"), null=True, blank=True
    )
    max_downloads = models.PositiveIntegerField(
        _("at most this many downloads"), null=True, blank=True
    )
    download_count = models.PositiveIntegerField(_("downloads"), default=0)
    # Opens as the limit counts them: one per visitor session (``limits``).
    open_sessions = models.PositiveIntegerField(_("visitor sessions"), default=0)
    # Terms the visitor accepts before the item shows (``terms``); empty: none.
    terms = models.TextField(_("terms to accept"), blank=True)
    # Email the sharer about downloads, one email an hour at most (``download_notices``).
    notify_downloads = models.BooleanField(_("notify on downloads"), default=False)
    download_notice_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ShareLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("shared link")
        verbose_name_plural = _("shared links")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["created_by", "created_at"]),
            # The Shared links area lists newest first.
            models.Index(fields=["-created_at", "-id"], name="securelink_link_newest"),
        ]

    def __str__(self):
        return self.target_title or _("Shared link %(id)s") % {"id": self.pk}

    @property
    def target(self):
        return (
            self.document
            if self.target_type == TargetType.DOCUMENT
            else self.collection
        )

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (
            now or timezone.now()
        )

    def is_active(self, now=None) -> bool:
        return not self.is_revoked and not self.is_expired(now)

    @property
    def status(self) -> str:
        if self.is_revoked:
            return "revoked"
        return "expired" if self.is_expired() else "active"

    def get_status_display(self):
        return {
            "revoked": _("Revoked"),
            "expired": _("Expired"),
            "active": _("Active"),
        }[self.status]

    def terms_acceptances(self):
        """The newest acceptances of this link's terms, for Manage access."""
        return self.events.filter(event=EventType.TERMS_ACCEPTED).order_by(
            "-created_at", "-pk"
        )[:20]

    @property
    def token(self) -> str:
        # Signed once per key and instance: a listing builds four URLs a row.
        cached = self.__dict__.get("_signed_token")
        if cached is None or cached[0] != self.key:
            cached = self.__dict__["_signed_token"] = (self.key, make_token(self.key))
        return cached[1]

    @property
    def url(self) -> str:
        return link_url(self)
