"""The share form (SPEC §5), for a document or a collection."""

import datetime

from django import forms
from django.contrib.auth.models import Group
from django.core.validators import MaxValueValidator
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets import AdminDateInput

from wagtail_securelink.admin.forms.base import (
    ServiceErrorsMixin,
    end_of_day,
    split_addresses,
)
from wagtail_securelink.admin.forms.view_only import ViewOnlyOptions
from wagtail_securelink.choices import Audience, PageRevision, Role, TargetType
from wagtail_securelink.core import languages
from wagtail_securelink.policy import link_rules

__all__ = ["ShareForm"]


class ShareForm(ServiceErrorsMixin, ViewOnlyOptions):
    """The share form of SPEC §5, for a document or a collection.

    ``policy`` decides the audiences offered and the defaults; ``target_type``
    decides the roles offered and whether "include subcollections" is shown. The
    service layer still has the last word on every value.
    """

    audience = forms.ChoiceField(
        label=_("Who can open it"),
        widget=forms.RadioSelect,
    )
    recipients = forms.CharField(
        label=_("People to share with"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text=_(
            "Email addresses, separated by commas, semicolons or new lines. "
            "Each person proves they own their address with a code sent to it. "
            "Needed for links to specific people."
        ),
    )
    role = forms.ChoiceField(
        label=_("They can"),
        widget=forms.RadioSelect,
        help_text=_(
            "A view-only link discourages copying; it cannot prevent it: "
            "anything shown in a browser can be saved."
        ),
    )
    include_descendants = forms.BooleanField(
        label=_("Include subcollections"),
        required=False,
        initial=True,
        help_text=_("Also share the documents in the collections inside this one."),
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
    access_until = forms.DateField(
        label=_("Access until"),
        required=False,
        widget=AdminDateInput,
        help_text=_(
            "Optional: these people's access ends at the end of this day, even if "
            "the link works longer (for instance, until the end of an audit)."
        ),
    )
    groups = forms.ModelMultipleChoiceField(
        label=_("Only these groups"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Optional, for links for people signed in: only members of these groups "
            "can open it. Others signed in see that it is not for their account."
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Only for links that work for anyone: visitors must type it first. "
            "Send it to them through another channel than the link."
        ),
    )
    reverification_days = forms.IntegerField(
        label=_("Ask for a new code after (days)"),
        required=False,
        min_value=1,
        help_text=_(
            "Leave empty for the site's period (%(days)s days); only shorter is allowed."
        ),
    )
    message = forms.CharField(
        label=_("Message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Included in the invitation email."),
    )
    language = forms.ChoiceField(
        label=_("Their language"),
        required=False,
        help_text=_("The invitation and every later email to them are written in it."),
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
    page_version = forms.ChoiceField(
        label=_("They see"),
        widget=forms.RadioSelect,
        choices=PageRevision.choices,
        initial=PageRevision.LATEST,
        required=False,
    )
    allow_comments = forms.BooleanField(
        label=_("Reviewers may comment"),
        required=False,
        initial=False,
        help_text=_(
            "Each reviewer can send you plain-text comments from the preview, signed "
            "with the address they proved. You get them by email and on Manage access."
        ),
    )
    keep_public = forms.BooleanField(
        label=_("Keep it public"),
        required=False,
        initial=False,
        help_text=_(
            "Tick to let the site keep serving it to everyone at its public document "
            "address. Left unticked, a link for specific people or for people signed "
            "in makes it private: only those with a link, and admin users who may see "
            "it, can open it. So does a link for anyone that is view-only, asks to "
            "accept terms, or limits opens or downloads."
        ),
    )

    # Errors from services.create_link use these keys; map them onto our fields.
    SERVICE_FIELDS = {
        "recipients": "recipients",
        "audience": "audience",
        "role": "role",
        "expires_at": "expires_on",
        "access_until": "access_until",
        "groups": "groups",
        "password": "password",
        "reverification_days": "reverification_days",
        "include_descendants": "include_descendants",
        "message": "message",
        "page_version": "page_version",
        "allow_comments": "allow_comments",
    }

    # What a page preview does not have: it is view only, never public, has no file.
    NOT_FOR_PAGES = (
        "include_descendants",
        "password",
        "keep_public",
        "watermark",
        "watermark_downloads",
        "max_downloads",
        "notify_downloads",
    )

    def __init__(
        self,
        *args,
        policy,
        target_type=TargetType.DOCUMENT,
        offer_keep_public=False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.policy = policy
        self.target_type = target_type
        is_page = target_type == TargetType.PAGE
        self.fields["audience"].choices = [
            (value, label)
            for value, label in Audience.choices
            if policy.audience_allowed(value)
            and (not is_page or value in link_rules.PAGE_AUDIENCES)
        ]
        audiences = [value for value, _label in self.fields["audience"].choices]
        self.fields["role"].choices = [
            (value, label)
            for value, label in Role.choices
            if (value != Role.UPLOAD or target_type == TargetType.COLLECTION)
            and (not is_page or value in link_rules.PAGE_ROLES)
            and any(policy.role_allowed(a, value) for a in audiences)
        ]
        # Say which roles each audience allows before the service layer refuses one.
        limits = [
            _("%(audience)s: %(roles)s")
            % {
                "audience": Audience(a).label,
                "roles": ", ".join(
                    str(Role(r).label)
                    for r in policy.allowed_roles(a)
                    if r in dict(self.fields["role"].choices)
                )
                or _("none"),
            }
            for a in audiences
        ]
        if len(limits) > 1:
            self.fields["role"].help_text = format_lazy(
                "{} {}",
                self.fields["role"].help_text,
                _("Allowed by the site's policy — %(limits)s.")
                % {"limits": "; ".join(limits)},
            )
        if policy.watermark_by_default and "watermark" in self.fields:
            # The site's policy watermarks every view-only link: shown, not offered.
            watermark = self.fields["watermark"]
            watermark.disabled = True
            watermark.help_text = _(
                "The site's policy watermarks the pages of every view-only link."
            )
        days = self.fields["reverification_days"]
        days.max_value = policy.reverification_days
        days.validators.append(MaxValueValidator(policy.reverification_days))
        days.widget.attrs["max"] = policy.reverification_days
        days.help_text = days.help_text % {"days": policy.reverification_days}
        if not policy.audience_allowed(Audience.ANYONE):
            del self.fields["password"]
        if policy.audience_allowed(Audience.ORGANIZATION):
            self.fields["groups"].queryset = Group.objects.order_by("name")
        else:
            del self.fields["groups"]
        if target_type != TargetType.COLLECTION:
            del self.fields["include_descendants"]
        choices = languages.language_choices()
        if len(choices) > 1:
            self.fields["language"].choices = choices
        else:
            del self.fields["language"]
        # Only a choice while the item is public and the policy makes shared items
        # private; otherwise there is nothing to keep.
        if not offer_keep_public:
            del self.fields["keep_public"]
        if is_page:
            for name in self.NOT_FOR_PAGES:
                self.fields.pop(name, None)
            self.fields["role"].help_text = _(
                "Reviewers see the page as Wagtail's preview shows it; they cannot "
                "change it."
            )
            if policy.page_max_expiry_days:
                self.fields["expires_on"].help_text = _(
                    "The link stops working at the end of this day; at most "
                    "%(days)s days from today. Leave empty for the longest."
                ) % {"days": policy.page_max_expiry_days}
        else:
            del self.fields["page_version"]
            del self.fields["allow_comments"]

    def clean_recipients(self) -> list[str]:
        return split_addresses(self.cleaned_data["recipients"])

    def expires_at(self) -> datetime.datetime | None:
        return end_of_day(self.cleaned_data.get("expires_on"))

    def service_kwargs(self) -> dict:
        """The keyword arguments for ``services.create_link``.

        Fields that do not apply to the chosen audience are ignored, not refused:
        without JavaScript every field is on the page (share_form.js hides the others),
        and what was typed in one that no longer applies must not stop the link.
        """
        data = self.cleaned_data
        specific = data["audience"] == Audience.SPECIFIC
        return {
            "audience": data["audience"],
            "role": data["role"],
            "recipients": data["recipients"] if specific else [],
            "expires_at": self.expires_at(),
            "message": data["message"],
            "password": data.get("password", "")
            if data["audience"] == Audience.ANYONE
            else "",
            "reverification_days": data.get("reverification_days"),
            "include_descendants": data.get("include_descendants", True),
            "send_invitations": data["send_invitations"],
            "keep_public": data.get("keep_public", False),
            "language": data.get("language", "") if specific else "",
            "recipient_expires_at": end_of_day(data.get("access_until")),
            "groups": list(data.get("groups") or ()),
            **self.view_only_kwargs(),
            **(
                {
                    "page_version": data.get("page_version") or PageRevision.LATEST,
                    "allow_comments": bool(data.get("allow_comments")),
                }
                if "page_version" in self.fields
                else {}
            ),
        }

    class Media:
        js = ["wagtail_securelink/share_form.js"]
