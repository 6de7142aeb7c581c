"""Editor forms. They only parse what was typed; ``services`` decides what is allowed."""

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets import AdminDateInput

from .choices import Role

__all__ = ["ShareDocumentForm", "split_addresses"]

# Commas, semicolons and any whitespace (newlines included) separate addresses, as in
# the "To" box of a mail client. An address cannot contain any of them unquoted.
_SEPARATORS = re.compile(r"[\s,;]+")

# The roles a document link can have in the first release; the service layer still
# has the last word (and refuses the others with a message of its own).
DOCUMENT_ROLES = [(Role.VIEW, Role.VIEW.label), (Role.DOWNLOAD, Role.DOWNLOAD.label)]


def split_addresses(text: str) -> list[str]:
    return [part for part in _SEPARATORS.split(text or "") if part]


class ShareDocumentForm(forms.Form):
    recipients = forms.CharField(
        label=_("People to share with"),
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text=_(
            "Email addresses, separated by commas, semicolons or new lines. "
            "Each person proves they own their address with a code sent to it."
        ),
    )
    role = forms.ChoiceField(
        label=_("They can"),
        choices=DOCUMENT_ROLES,
        widget=forms.RadioSelect,
        help_text=_(
            "A view-only link discourages copying; it cannot prevent it: "
            "anything shown in a browser can be saved."
        ),
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=AdminDateInput,
        help_text=_(
            "The link stops working at the end of this day. Leave empty for the "
            "site's default."
        ),
    )
    message = forms.CharField(
        label=_("Message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Included in the invitation email."),
    )
    send_invitations = forms.BooleanField(
        label=_("Email the recipients"),
        required=False,
        initial=True,
        help_text=_(
            "Send each person an invitation with the link. Untick to copy the "
            "link and send it yourself."
        ),
    )

    # Errors from services.create_link use these keys; map them onto our fields.
    SERVICE_FIELDS = {
        "recipients": "recipients",
        "role": "role",
        "expires_at": "expires_on",
        "message": "message",
    }

    def clean_recipients(self) -> list[str]:
        return split_addresses(self.cleaned_data["recipients"])

    def expires_at(self) -> datetime.datetime | None:
        """The end of the chosen day in the active time zone."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        next_midnight = datetime.datetime.combine(
            day + datetime.timedelta(days=1), datetime.time.min
        )
        return timezone.make_aware(next_midnight) - datetime.timedelta(microseconds=1)

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a ``ValidationError`` from the service layer on the right fields."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, messages in error.message_dict.items():
            field = self.SERVICE_FIELDS.get(key)
            for message in messages:
                # "target", "audience" and anything unknown are about the link as a
                # whole, not about one field of this form.
                self.add_error(field, message)
