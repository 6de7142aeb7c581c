"""Proving an address (S2-S4, S7, S9): emailed codes, the state of each typed
address, and the grants a verified browser holds."""

from django.db import models

from wagtail_securelink.models.links import ShareLink
from wagtail_securelink.models.recipients import Recipient

__all__ = ["VerificationCode", "AddressState", "Grant", "Passkey"]


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
    # When the address behind this grant last proved its mailbox with a code; set for
    # a grant a passkey opened, whose period runs from that proof, not from now.
    # ``None``: the grant itself came from a code (or a password) at ``created_at``.
    proved_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"grant {self.pk} on link {self.link_id}"


class Passkey(models.Model):
    """A WebAuthn credential an outsider saved after proving a mailbox with a code.

    It belongs to the normalised address, not to a link: every ``specific`` link that
    lists the address accepts it, under the same rules as a code on that link. It
    stands in for a code only while ``email_proved_at`` (the address's last code, on
    any link) is within that link's reverification period.
    """

    email = models.CharField(max_length=254, db_index=True)
    # base64url of the raw credential id, as the browser sends it back.
    credential_id = models.CharField(max_length=1400, unique=True)
    # The credential's public key as the authenticator gave it (a COSE key).
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    email_proved_at = models.DateTimeField()

    class Meta:
        verbose_name = "passkey"

    def __str__(self):
        return f"passkey {self.pk}"
