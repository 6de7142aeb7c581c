"""What every editor form shares: reading typed address lists and dates, and showing
the service layer's errors on the right fields."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils import timezone

__all__ = ["split_addresses", "end_of_day", "ServiceErrorsMixin"]

# Commas, semicolons and any whitespace (newlines included) separate addresses, as in
# the "To" box of a mail client. An address cannot contain any of them unquoted.
_SEPARATORS = re.compile(r"[\s,;]+")


def split_addresses(text: str) -> list[str]:
    return [part for part in _SEPARATORS.split(text or "") if part]


def end_of_day(day: datetime.date | None) -> datetime.datetime | None:
    """The last microsecond of ``day`` in the active time zone."""
    if day is None:
        return None
    next_midnight = datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time.min
    )
    return timezone.make_aware(next_midnight) - datetime.timedelta(microseconds=1)


class ServiceErrorsMixin:
    """Show a ``ValidationError`` from the service layer on the right fields."""

    SERVICE_FIELDS: dict = {}

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, messages in error.message_dict.items():
            field = self.SERVICE_FIELDS.get(key)
            if field not in self.fields:
                field = None  # about the link as a whole, not one field of this form
            for message in messages:
                self.add_error(field, message)
