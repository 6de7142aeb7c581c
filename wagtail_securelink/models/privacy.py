"""Private items (SPEC §2 *Private item*, S16): the newest privacy decision on an item."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.documents import get_document_model_string

from wagtail_securelink.choices import PrivacyReason
from wagtail_securelink.models.links import ShareLink

__all__ = ["PrivateItem"]


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
