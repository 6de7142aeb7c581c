"""What every editor form shares: reading typed address lists and dates, and showing
the service layer's errors on the right fields."""

from django.core.exceptions import ValidationError

from wagtail_securelink.core.addresses import end_of_day, split_addresses

__all__ = ["split_addresses", "end_of_day", "ServiceErrorsMixin"]


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
