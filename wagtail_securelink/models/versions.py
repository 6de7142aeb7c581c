"""Earlier files of replaced documents (SPEC §2 ``edit``)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.documents import get_document_model_string

from wagtail_securelink.models.links import ShareLink

__all__ = ["DocumentVersion"]


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
    # A name in the package's private storage (core.storage), not the documents'.
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
