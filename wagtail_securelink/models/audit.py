"""The audit trail (S15): access events and the head of their hash chain."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail_securelink.choices import EventType
from wagtail_securelink.models.links import ShareLink
from wagtail_securelink.models.recipients import Recipient

__all__ = ["AccessEvent", "AuditChainHead"]


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
        indexes = [
            # The sealer's backlog (``chain.seal_chain``, ``chain.sealing_lag``): only
            # the unsealed rows, so finding the next batch costs the same whether the
            # table holds a thousand events or ten million.
            models.Index(
                fields=["id"],
                condition=models.Q(seq__isnull=True),
                name="securelink_event_unsealed",
            ),
        ]

    def __str__(self):
        return f"{self.get_event_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def target_title(self) -> str:
        """The shared item's title; "" for an event without a link (an editor making an
        item private or public, a purge): every listing and export reads it here."""
        return self.link.target_title if self.link_id is not None else ""

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
