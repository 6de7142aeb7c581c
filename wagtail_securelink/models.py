from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.documents import get_document_model_string

from .choices import Audience, EventType, PrivacyReason, Role, TargetType
from .policy import SecureLinkPolicy

__all__ = [
    "ShareLink",
    "PrivateItem",
    "Recipient",
    "VerificationCode",
    "AddressState",
    "PendingDelivery",
    "Grant",
    "AccessEvent",
    "AuditChainHead",
    "DocumentVersion",
    "RateCounter",
    "AccessRequest",
    "SecureLinkPolicy",
]


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
        from .tokens import make_token

        return make_token(self.key)

    @property
    def url(self) -> str:
        from .tokens import link_url

        return link_url(self)


class PrivateItem(models.Model):
    """The newest privacy decision on one document or collection (SPEC §2, S16).

    One row per item, holding its current state; the history is in the access events
    and Wagtail's log. ``privacy.document_state`` decides, at request time, whether a
    document is private from its own row and the rows of its collection and that
    collection's ancestors. Nothing here changes when a link is revoked or expires:
    only an explicit editor action makes an item public again.
    """

    document = models.OneToOneField(
        get_document_model_string(),
        verbose_name=_("document"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    collection = models.OneToOneField(
        "wagtailcore.Collection",
        verbose_name=_("collection"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    private = models.BooleanField(_("private"), default=True)
    # A collection's privacy reaches its subcollections when a link that made it
    # private included them; it never narrows again by itself.
    include_descendants = models.BooleanField(_("subcollections"), default=False)
    reason = models.CharField(_("reason"), max_length=20, choices=PrivacyReason.choices)
    link = models.ForeignKey(
        ShareLink,
        verbose_name=_("link"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # For a file received through a link: who sent it, the recipient's address (or a
    # signed-in user's address) or ANYONE_LINK. Kept when an editor later changes the
    # item's state; an address is erased with the person's data (securelink_erase).
    uploaded_by = models.CharField(_("uploaded by"), max_length=254, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        verbose_name = _("private item")
        verbose_name_plural = _("private items")
        constraints = [
            models.CheckConstraint(
                condition=Q(document__isnull=False, collection__isnull=True)
                | Q(document__isnull=True, collection__isnull=False),
                name="securelink_private_item_one_target",
            )
        ]

    def __str__(self):
        target = self.document_id or self.collection_id
        return f"{'private' if self.private else 'public'} item {target}"

    @property
    def target(self):
        return self.document if self.document_id else self.collection

    # Stored for an upload through an ``anyone`` link; not an address, so it never
    # matches one.
    ANYONE_LINK = "anyone link"

    @property
    def uploaded_by_label(self) -> str:
        if self.uploaded_by == self.ANYONE_LINK:
            return _("anyone link")
        return self.uploaded_by


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
    # Per-person counts for the link's open and download limits (issue 16).
    open_count = models.PositiveIntegerField(_("opens"), default=0)
    download_count = models.PositiveIntegerField(_("downloads"), default=0)

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["email"]
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


class VerificationCode(models.Model):
    """An emailed one-time code. Holds no code: a nonce and a keyed hash (S2)."""

    recipient = models.ForeignKey(
        Recipient, on_delete=models.CASCADE, related_name="codes"
    )
    nonce = models.CharField(max_length=32)
    digits = models.PositiveSmallIntegerField(default=6)
    code_hash = models.CharField(max_length=64)
    # Keyed hash of the session key of the browser that asked: the code works there only (S3).
    session_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField()
    used_at = models.DateTimeField(null=True, blank=True)
    invalidated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["recipient", "session_hash"])]

    def __str__(self):
        return f"code {self.pk} for recipient {self.recipient_id}"


class AddressState(models.Model):
    """What a code request has done for one typed address on one link: cooldown,
    codes this hour, and the code of the browser that asked last, with its tries.

    Kept for *every* address a visitor types, listed or not, and the pages are drawn
    from it alone, so they evolve the same way for all of them (S7). The address is a
    keyed digest: nothing here names an unlisted visitor. ``securelink_purge`` removes
    a row only when nothing in it counts any more, so purging never loosens the hourly
    cap. Updated by compare-and-swap on ``version``, so concurrent processes never
    lose a send or a try.
    """

    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64)
    version = models.PositiveIntegerField(default=0)
    # Unix times of the codes issued in the last hour (at most the hourly cap).
    sends = models.JSONField(default=list)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    session_hash = models.CharField(max_length=64, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["link", "digest"], name="securelink_address_state_unique"
            )
        ]

    def __str__(self):
        return f"address state {self.pk} on link {self.link_id}"


class PendingDelivery(models.Model):
    """An email task recorded before it runs off the request cycle (``delivery``).

    Deleted once it has run; a row left behind by a process that stopped is run again
    by the next process to start delivering, or by ``securelink_purge``. Holds the
    task's path and its row ids only: no code, token or address.
    """

    task = models.CharField(max_length=255)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"pending {self.task} {self.args}"


class Grant(models.Model):
    """Server-side proof that a browser verified a recipient address or a password."""

    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="grants")
    recipient = models.ForeignKey(
        Recipient,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="grants",
    )
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=40, blank=True)

    def __str__(self):
        return f"grant {self.pk} on link {self.link_id}"


class AccessEvent(models.Model):
    """An audit record (S15), hash-chained to the previous one.

    Foreign keys are plain references (no constraint, nothing cascades): deleting a
    link or a user must never delete or rewrite the audit trail. The chain covers a
    keyed digest of the personal fields (email, IP, user agent) rather than the fields
    themselves, so erasing a person's data keeps the chain verifiable.
    """

    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    event = models.CharField(
        _("event"), max_length=40, choices=EventType.choices, db_index=True
    )
    link = models.ForeignKey(
        ShareLink,
        verbose_name=_("link"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="events",
    )
    recipient = models.ForeignKey(
        Recipient,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    email = models.CharField(
        _("email address"), max_length=254, blank=True, db_index=True
    )
    ip_address = models.CharField(_("IP address"), max_length=64, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=512, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    personal_digest = models.CharField(max_length=64, blank=True)
    # Empty until the event is sealed into the chain, in batches (``chain.seal_chain``):
    # ``seq`` is its place in the chain, which is the sealing order.
    seq = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("access event")
        verbose_name_plural = _("access events")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_event_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def terms_version(self) -> str:
        """The version of the terms a ``terms_accepted`` event records, else ""."""
        return (self.detail or {}).get("terms_version", "")


class AuditChainHead(models.Model):
    """A single row locked while a batch of events is sealed, so the chain stays linear."""

    last_hash = models.CharField(max_length=64, blank=True)
    last_event_id = models.BigIntegerField(null=True, blank=True)
    last_seq = models.BigIntegerField(null=True, blank=True)
    # Hash of the newest event removed by retention purging: the first remaining event
    # must point at it.
    anchor_hash = models.CharField(max_length=64, blank=True)
    # The fingerprint of the key that sealed last (``keys.key_id``). When a sealer finds
    # another one, the key changed: every event sealed so far is recorded as sealed
    # under an earlier key, with an HMAC under the new key so the record itself cannot
    # be moved without it (``chain.verify_chain`` reports those events as "signed with
    # a retired key" once that key is dropped, not as changed).
    key_id = models.CharField(max_length=16, blank=True)
    retired_through_seq = models.BigIntegerField(null=True, blank=True)
    retired_mac = models.CharField(max_length=64, blank=True)

    def __str__(self):
        return f"audit chain head (event {self.last_event_id})"


class DocumentVersion(models.Model):
    """An earlier file of a Wagtail document, kept when it was replaced (SPEC §2 ``edit``).

    The file is a copy under its own storage name, so neither a later upload with the
    same name nor Wagtail's clean-up of the replaced file can touch it. Only deleting the
    document removes its versions (``signal_handlers`` then removes their files).
    """

    document = models.ForeignKey(
        get_document_model_string(),
        verbose_name=_("document"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    # A storage name in the document model's own file storage.
    file_name = models.CharField(max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    title = models.CharField(_("title"), max_length=255)
    file_size = models.PositiveBigIntegerField(_("size"), null=True)
    file_hash = models.CharField(max_length=40, blank=True)
    replaced_at = models.DateTimeField(_("replaced"), default=timezone.now)
    # Who made this file an earlier version: a recipient's address, a signed-in user,
    # or neither (an ``anyone`` link), through ``link`` or an editor's restore.
    replaced_by_email = models.CharField(max_length=254, blank=True)
    replaced_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    link = models.ForeignKey(
        ShareLink,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaced_versions",
    )
    restored = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("earlier version")
        verbose_name_plural = _("earlier versions")
        ordering = ["-replaced_at", "-pk"]

    def __str__(self):
        return f"{self.original_name} ({self.replaced_at:%Y-%m-%d %H:%M})"


class RateCounter(models.Model):
    """One rate-limit window's count (S5, S6), when the limits are kept in the database.

    The key is a keyed hash of the scope, the counted value (a client network, a link)
    and the window, so no address is stored in clear. ``counters`` increments it with a
    single atomic statement and deletes windows past their end.
    """

    key = models.CharField(max_length=64, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    # Unix time at which the window ends: the row is useless after it.
    expires_at = models.BigIntegerField(db_index=True)

    class Meta:
        verbose_name = _("rate-limit counter")
        verbose_name_plural = _("rate-limit counters")

    def __str__(self):
        return f"rate-limit counter {self.key[:8]}… ({self.count})"


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
