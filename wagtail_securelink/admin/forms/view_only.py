"""The share form's view-only options: watermarks and open/download limits.

A form base that ``admin_forms.ShareForm`` inherits, so the options stay in one place
and come last on the form. The watermark's initial value is the policy's default.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

__all__ = ["ViewOnlyOptions", "VIEW_ONLY_FIELDS"]

VIEW_ONLY_FIELDS = (
    "watermark",
    "watermark_downloads",
    "max_opens",
    "max_downloads",
    "terms",
    "notify_downloads",
)


class ViewOnlyOptions(forms.Form):
    watermark = forms.BooleanField(
        label=_("Watermark the pages of a view-only link"),
        required=False,
        help_text=_(
            "The visitor's address (or 'anyone link'), the date and the link's id "
            "are burned into every page shown."
        ),
    )
    watermark_downloads = forms.BooleanField(
        label=_("Stamp downloaded PDFs"),
        required=False,
        help_text=_(
            "Downloaded PDFs carry the visitor's address on every page. A PDF too "
            "large to stamp is not sent, and the files cannot be downloaded as a ZIP."
        ),
    )
    max_opens = forms.IntegerField(
        label=_("At most this many opens"),
        required=False,
        min_value=1,
        max_value=100000,
        help_text=_(
            "Empty: no limit. Per person on a link for specific people; one open per "
            "visit."
        ),
    )
    max_downloads = forms.IntegerField(
        label=_("At most this many downloads"),
        required=False,
        min_value=1,
        max_value=100000,
        help_text=_(
            "Empty: no limit. 1: the link stops giving the file after the first "
            "download. Per person on a link for specific people."
        ),
    )

    terms = forms.CharField(
        label=_("Terms to accept"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "The visitor must accept these before the item shows (for example a "
            "non-disclosure agreement). Each acceptance is recorded. Empty: none."
        ),
    )

    notify_downloads = forms.BooleanField(
        label=_("Email me about downloads"),
        required=False,
        help_text=_("At most one email an hour, listing the downloads since the last."),
    )

    def order_fields(self, field_order):
        super().order_fields(field_order)
        for name in VIEW_ONLY_FIELDS:  # after the form's own fields
            if name in self.fields:
                self.fields[name] = self.fields.pop(name)

    def get_initial_for_field(self, field, field_name):
        policy = getattr(self, "policy", None)
        if field_name == "watermark" and policy is not None:
            return policy.watermark_by_default
        if field_name == "terms" and policy is not None:
            return policy.default_terms
        return super().get_initial_for_field(field, field_name)

    def view_only_kwargs(self) -> dict:
        """Keyword arguments for ``services.create_link``."""
        data = self.cleaned_data
        return {name: data.get(name) for name in VIEW_ONLY_FIELDS if name in data}
