"""The forms of Manage access: add people, change the link's expiry, end one person's
access."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets import AdminDateInput

from wagtail_securelink.admin.forms.base import (
    ServiceErrorsMixin,
    end_of_day,
    split_addresses,
)

__all__ = ["AddRecipientsForm", "ChangeExpiryForm", "AccessEndForm"]


class AddRecipientsForm(ServiceErrorsMixin, forms.Form):
    # Not marked required: the Manage access page mostly serves other actions, and
    # clean_recipients still refuses an empty submission of this form.
    recipients = forms.CharField(
        label=_("Add people"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}),
        help_text=_("Email addresses, separated by commas, semicolons or new lines."),
    )
    send_invitations = forms.BooleanField(
        label=_("Email them an invitation"), required=False, initial=True
    )
    access_until = forms.DateField(
        label=_("Access until"),
        required=False,
        widget=AdminDateInput,
        help_text=_("Optional: their access ends at the end of this day."),
    )

    SERVICE_FIELDS = {"recipients": "recipients", "access_until": "access_until"}

    def expires_at(self) -> datetime.datetime | None:
        return end_of_day(self.cleaned_data.get("access_until"))

    def clean_recipients(self) -> list[str]:
        addresses = split_addresses(self.cleaned_data["recipients"])
        if not addresses:
            raise ValidationError(_("Add at least one email address."))
        return addresses


class ChangeExpiryForm(ServiceErrorsMixin, forms.Form):
    expires_on = forms.DateField(
        label=_("New expiry date"),
        required=False,
        widget=AdminDateInput,
        help_text=_("Leave empty for a link that does not expire."),
    )

    SERVICE_FIELDS = {"expires_at": "expires_on"}

    def expires_at(self) -> datetime.datetime | None:
        return end_of_day(self.cleaned_data.get("expires_on"))


class AccessEndForm(ServiceErrorsMixin, forms.Form):
    """One person's own end of access ("access until"), on one link or on all."""

    access_until = forms.DateField(
        label=_("Access until"),
        required=False,
        widget=AdminDateInput,
        help_text=_("Leave empty: their access lasts as long as the link."),
    )

    SERVICE_FIELDS = {"access_until": "access_until"}

    def expires_at(self) -> datetime.datetime | None:
        return end_of_day(self.cleaned_data.get("access_until"))
