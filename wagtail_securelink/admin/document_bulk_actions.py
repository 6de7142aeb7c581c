"""Share several documents with the same people at once: a Wagtail document bulk action."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.documents.views.bulk_actions.document_bulk_action import DocumentBulkAction

from wagtail_securelink import services
from wagtail_securelink.admin.forms import end_of_day, split_addresses
from wagtail_securelink.choices import Audience, Role
from wagtail_securelink.permissions import user_can_share_document

__all__ = ["ShareDocumentsBulkAction"]


class BulkShareForm(forms.Form):
    recipients = forms.CharField(
        label=_("People to share with"),
        help_text=_("Email addresses, separated by commas, spaces or new lines."),
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        label=_("They can"),
        choices=[(r.value, r.label) for r in (Role.VIEW, Role.DOWNLOAD, Role.EDIT)],
        widget=forms.RadioSelect,
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    message = forms.CharField(
        label=_("Message"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    send_invitations = forms.BooleanField(
        label=_("Email the recipients"), required=False, initial=True
    )
    keep_public = forms.BooleanField(
        label=_("Keep them public"),
        required=False,
        initial=False,
        help_text=_(
            "Left unticked, each document becomes private: the site stops serving it "
            "at its public document address. Tick to keep the public ones public "
            "(for instance when live pages link to them)."
        ),
    )

    def __init__(self, *args, **kwargs):
        kwargs.pop("user", None)
        super().__init__(*args, **kwargs)
        self.fields["role"].initial = services.current_policy().default_role

    def clean_recipients(self):
        # Checked before any link is made: one refused address refuses the whole action.
        try:
            addresses = services.clean_recipients(
                split_addresses(self.cleaned_data["recipients"]),
                services.current_policy(),
            )
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None
        if not addresses:
            raise ValidationError(_("Add at least one email address."))
        return addresses


class ShareDocumentsBulkAction(DocumentBulkAction):
    display_name = _("Share")
    action_type = "securelink_share"
    aria_label = _("Share the selected documents with specific people")
    template_name = "wagtail_securelink/admin/bulk_share.html"
    action_priority = 25
    form_class = BulkShareForm

    def check_perm(self, document):
        return user_can_share_document(self.request.user, document)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_execution_context(self):
        data = self.cleaned_form.cleaned_data
        return {
            "user": self.request.user,
            "recipients": data["recipients"],
            "role": data["role"],
            "expires_at": end_of_day(data["expires_on"]),
            "message": data["message"],
            "send_invitations": data["send_invitations"],
            "keep_public": data["keep_public"],
            "request": self.request,
        }

    @classmethod
    def execute_action(cls, objects, user=None, request=None, **options):
        made = 0
        # Wagtail's bulk-action queryset has no order; share in document order
        # so links, emails and audit entries come out the same on every database.
        for document in sorted(objects, key=lambda document: document.pk):
            services.create_link(
                target=document,
                created_by=user,
                audience=Audience.SPECIFIC,
                request=request,
                **options,
            )
            made += 1
        return made, 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        return ngettext(
            "%(count)d document has been shared.",
            "%(count)d documents have been shared, each with its own link.",
            num_parent_objects,
        ) % {"count": num_parent_objects}
