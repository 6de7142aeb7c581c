"""Share links (SPEC §2 *Link*): what a URL opens, for whom, until when.

Whether a link is open lives here once, with the policy applied (§6: a lowered maximum
for ``anyone`` links ends existing ones): ``ShareLink.is_active`` and ``status`` for
one link, ``open_links_q`` and the queryset's ``active``, ``expired`` and
``with_status`` for many. The visitor's access check, the listings, the API and the
commands all read these.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.documents import get_document_model_string

from wagtail_securelink.choices import (
    Audience,
    EventType,
    PageRevision,
    Role,
    TargetType,
)
from wagtail_securelink.core.tokens import link_url, make_token
from wagtail_securelink.models.policy import SecureLinkPolicy, current_policy

__all__ = [
    "ShareLinkQuerySet",
    "ShareLink",
    "anyone_expiry_limit",
    "page_expiry_limit",
    "open_links_q",
]


def anyone_expiry_limit(
    created_at: datetime.datetime, policy: SecureLinkPolicy | int | None
) -> datetime.datetime | None:
    """The latest moment an ``anyone`` link created at ``created_at`` may work.

    Counted from the link's creation, so lowering the maximum shortens existing links
    and a later change of expiry cannot stretch a link's life past it. ``policy`` is
    the policy or its maximum in days; ``None``: the policy sets no maximum.
    """
    days = getattr(policy, "anyone_max_expiry_days", policy)
    if not days:
        return None
    return created_at + datetime.timedelta(days=days)


def page_expiry_limit(
    created_at: datetime.datetime, policy: SecureLinkPolicy | int | None
) -> datetime.datetime | None:
    """The latest moment a page preview link created at ``created_at`` may work: the
    policy's own maximum for page previews, counted like ``anyone_expiry_limit``."""
    days = getattr(policy, "page_max_expiry_days", policy)
    if not days:
        return None
    return created_at + datetime.timedelta(days=days)


def open_links_q(policy: SecureLinkPolicy, now=None, prefix: str = "") -> Q:
    """``ShareLink.is_active`` as a query condition: the same rule, for many links
    (``prefix`` e.g. ``"link__"`` from a recipient)."""
    now = now or timezone.now()

    def q(**lookups):
        return Q(**{prefix + key: value for key, value in lookups.items()})

    condition = q(revoked_at__isnull=True) & (
        q(expires_at__isnull=True) | q(expires_at__gt=now)
    )
    if policy.anyone_max_expiry_days:
        oldest = now - datetime.timedelta(days=policy.anyone_max_expiry_days)
        condition &= ~q(audience=Audience.ANYONE) | q(created_at__gt=oldest)
    if policy.page_max_expiry_days:
        oldest = now - datetime.timedelta(days=policy.page_max_expiry_days)
        condition &= ~q(target_type=TargetType.PAGE) | q(created_at__gt=oldest)
    return condition


class ShareLinkQuerySet(models.QuerySet):
    def active(self, now=None, *, policy: SecureLinkPolicy | None = None):
        """Links that open now, the policy's limits applied."""
        return self.filter(open_links_q(policy or current_policy(), now))

    def expired(self, now=None, *, policy: SecureLinkPolicy | None = None):
        """Links not revoked that no longer open: past their expiry or the policy's."""
        return self.filter(revoked_at__isnull=True).exclude(
            open_links_q(policy or current_policy(), now)
        )

    def with_status(self, *, policy: SecureLinkPolicy | None = None):
        """Rows that carry the policy's maximum for ``anyone`` links, so that a
        listing's ``status`` and ``effective_expiry`` read no policy per row. The rule
        stays ``ShareLink.is_expired``'s, on the row as it is in memory."""
        policy = policy or current_policy()
        return self.annotate(
            policy_anyone_max_days=Value(
                policy.anyone_max_expiry_days, output_field=models.IntegerField()
            ),
            policy_page_max_days=Value(
                policy.page_max_expiry_days, output_field=models.IntegerField()
            ),
        )

    def revoked(self):
        return self.filter(revoked_at__isnull=False)


class ShareLink(models.Model):
    """A URL that grants access to one document, collection or page preview (SPEC §2)."""

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
    # A page preview (SPEC §2 *Page preview*): a deleted page ends the preview with
    # the same 410 page as a deleted document.
    page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("page"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    page_version = models.CharField(
        _("page content shown"),
        max_length=10,
        choices=PageRevision.choices,
        default=PageRevision.LATEST,
        db_default=PageRevision.LATEST,
    )
    # The revision shown when ``page_version`` is ``shared``; once it is gone (purged
    # revisions), the link shows the "removed" page rather than another revision.
    page_revision = models.ForeignKey(
        "wagtailcore.Revision",
        verbose_name=_("page revision"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # A page preview's reviewers may leave comments for the sharer (``comments``).
    allow_comments = models.BooleanField(
        _("reviewers may comment"), default=False, db_default=False
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
    # View-only links: the viewer's address, the date and the link's short
    # id burned into every rendered page; the default comes from the policy.
    watermark = models.BooleanField(_("watermark rendered pages"), default=True)
    # Stamp the same line into downloaded PDFs (pypdf); a PDF above the policy's cap
    # is then refused rather than sent unstamped.
    watermark_downloads = models.BooleanField(
        _("watermark downloaded PDFs"), default=False
    )
    # Open and download limits: empty means no limit. Counted with
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
        if self.target_type == TargetType.PAGE:
            return self.page
        return (
            self.document
            if self.target_type == TargetType.DOCUMENT
            else self.collection
        )

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def effective_expiry(
        self, policy: SecureLinkPolicy | None = None
    ) -> datetime.datetime | None:
        """When the link stops working: its own expiry, or earlier when the policy says
        so (its maximum for ``anyone`` links, or for page previews). Without ``policy``: the maximum its queryset read (``with_status``), else
        the current policy."""
        expires = self.expires_at
        if self.created_at is None:
            return expires
        if self.audience == Audience.ANYONE:
            rule, read = anyone_expiry_limit, "policy_anyone_max_days"
        elif self.target_type == TargetType.PAGE:
            rule, read = page_expiry_limit, "policy_page_max_days"
        else:
            return expires
        if policy is None:
            policy = self.__dict__[read] if read in self.__dict__ else current_policy()
        limit = rule(self.created_at, policy)
        if limit is not None and (expires is None or limit < expires):
            return limit
        return expires

    def is_expired(self, now=None, *, policy: SecureLinkPolicy | None = None) -> bool:
        """Past its effective expiry (its own, or the policy's maximum)."""
        expires = self.effective_expiry(policy)
        return expires is not None and expires <= (now or timezone.now())

    def is_active(self, now=None, *, policy: SecureLinkPolicy | None = None) -> bool:
        """Opens now: not revoked and not past its effective expiry."""
        return not self.is_revoked and not self.is_expired(now, policy=policy)

    @property
    def needs_private_item(self) -> bool:
        """Whether what this link promises holds only if its item is not served to
        everyone elsewhere (S16): a link for specific people or for signed-in people,
        and an ``anyone`` link that is view-only, asks to accept terms, limits opens or
        downloads, or stamps downloads. Wagtail's own document URL would hand out the
        file whole, without any of that."""
        return bool(
            self.audience != Audience.ANYONE
            or Role.is_view_only(self.role)
            or self.terms
            or self.max_opens
            or self.max_downloads
            or self.watermark_downloads
        )

    def watermarks_pages(self, policy: SecureLinkPolicy) -> bool:
        """Whether its rendered pages carry the viewer's watermark: when the link asks
        for it, and always while the site's policy watermarks by default (SPEC §6: a
        link may switch it on, never off; existing links follow the policy)."""
        return self.watermark or policy.watermark_by_default

    def status_for(self, policy: SecureLinkPolicy | None, now=None) -> str:
        if self.is_revoked:
            return "revoked"
        return "expired" if self.is_expired(now, policy=policy) else "active"

    @property
    def status(self) -> str:
        """``active``, ``expired`` or ``revoked``, the policy applied."""
        return self.status_for(None)

    def get_status_display(self, policy: SecureLinkPolicy | None = None):
        status = self.status if policy is None else self.status_for(policy)
        return {
            "revoked": _("Revoked"),
            "expired": _("Expired"),
            "active": _("Active"),
        }[status]

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
