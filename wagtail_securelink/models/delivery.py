"""The outbox of email tasks waiting to run off the request cycle (``delivery``)."""

from django.db import models
from django.utils import timezone

__all__ = ["PendingDelivery"]


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
