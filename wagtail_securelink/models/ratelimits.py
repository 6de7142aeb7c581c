"""Rate-limit counters kept in the database (S5, S6)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["RateCounter"]


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
