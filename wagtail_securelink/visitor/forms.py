from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wagtail_securelink.core.addresses import normalise_email

__all__ = ["AddressForm", "CodeForm", "PasswordForm"]


class AddressForm(forms.Form):
    email = forms.CharField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("The address the link was sent to."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def clean_email(self):
        try:
            return normalise_email(self.cleaned_data["email"])
        except ValidationError:
            raise ValidationError(
                _("Enter a valid email address."), code="invalid"
            ) from None


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "autofocus": True,
                "spellcheck": "false",
            }
        ),
    )


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Password"),
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "current-password", "autofocus": True}
        ),
    )


class AccessRequestForm(forms.Form):
    """ "Didn't get a code? Ask the person who shared this": an optional message."""

    message = forms.CharField(
        label=_("Message to the person who shared this (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
