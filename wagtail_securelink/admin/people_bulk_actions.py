"""Bulk actions of the People area, on Wagtail's bulk action framework.

The listing's checkboxes carry the id of each person's first ``Recipient`` row
(``people.people_for``); an action applies to every row of those addresses on links
the user may manage (``services.recipients_of``), never to others.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin.views.bulk_action import BulkAction
from wagtail.admin.widgets import AdminDateInput

from wagtail_securelink import services
from wagtail_securelink.admin.forms import end_of_day
from wagtail_securelink.models import Recipient
from wagtail_securelink.sharing.people import clean_access_end, visible_recipients

__all__ = ["PEOPLE_BULK_ACTIONS"]


class PeopleBulkAction(BulkAction):
    models = [Recipient]
    template_name = "wagtail_securelink/admin/confirm_people_action.html"
    question = ""

    def get_all_objects_in_listing_query(self, parent_id):
        return services.people_for(self.request.user).values_list("pk", flat=True)

    def get_actionable_objects(self):
        objects, extra = super().get_actionable_objects()
        allowed = set(
            visible_recipients(self.request.user)
            .filter(pk__in=[o.pk for o in objects])
            .values_list("pk", flat=True)
        )
        extra["items_with_no_access"] += [o for o in objects if o.pk not in allowed]
        return [o for o in objects if o.pk in allowed], extra

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "question": self.question}

    def get_execution_context(self):
        return {"user": self.request.user, "request": self.request}

    @classmethod
    def rows(cls, objects, user):
        return services.recipients_of(user, {o.email for o in objects})

    def get_success_message(self, num_parent_objects, num_child_objects):
        return ngettext(
            "Done for %(count)d person.",
            "Done for %(count)d people.",
            num_parent_objects,
        ) % {"count": num_parent_objects}


class RemovePeopleBulkAction(PeopleBulkAction):
    display_name = _("Remove from every link")
    action_type = "remove_people"
    aria_label = _("Remove the selected people from every link")
    action_priority = 10
    classes = {"serious"}
    question = _(
        "Remove these people from every link you manage? Their access ends at once; "
        "the activity report keeps their history."
    )

    @classmethod
    def execute_action(cls, objects, user=None, request=None, **kwargs):
        services.remove_people(cls.rows(objects, user), user=user, request=request)
        return len(objects), 0


class UnlockPeopleBulkAction(PeopleBulkAction):
    display_name = _("Unlock")
    action_type = "unlock_people"
    aria_label = _("Unlock the selected people")
    action_priority = 30
    question = _("Unlock these people on every link, so they may ask for a code again?")

    @classmethod
    def execute_action(cls, objects, user=None, request=None, **kwargs):
        services.unlock_people(cls.rows(objects, user), user=user, request=request)
        return len(objects), 0


class ResendPeopleBulkAction(PeopleBulkAction):
    display_name = _("Resend invitations")
    action_type = "resend_people"
    aria_label = _("Resend the invitations of the selected people")
    action_priority = 40
    question = _("Email these people their invitations again, for every working link?")

    @classmethod
    def execute_action(cls, objects, user=None, request=None, **kwargs):
        services.resend_to_people(cls.rows(objects, user), user=user, request=request)
        return len(objects), 0


class AccessEndBulkForm(forms.Form):
    access_until = forms.DateField(
        label=_("Access until"),
        required=False,
        widget=AdminDateInput,
        help_text=_("Leave empty: their access lasts as long as each link."),
    )


class AccessEndPeopleBulkAction(PeopleBulkAction):
    display_name = _("Set the end of access")
    action_type = "access_end_people"
    aria_label = _("Set when the selected people's access ends")
    action_priority = 20
    form_class = AccessEndBulkForm
    question = _("When should these people's access end, on every link?")

    def get_execution_context(self):
        data = self.cleaned_form.cleaned_data
        return {
            **super().get_execution_context(),
            "expires_at": end_of_day(data.get("access_until")),
        }

    def form_valid(self, form):
        from django.core.exceptions import ValidationError

        try:
            clean_access_end(end_of_day(form.cleaned_data.get("access_until")))
        except ValidationError as error:
            form.add_error("access_until", error.message_dict["access_until"])
            return self.form_invalid(form)
        return super().form_valid(form)

    @classmethod
    def execute_action(cls, objects, user=None, request=None, expires_at=None, **kw):
        services.set_access_end(
            cls.rows(objects, user), expires_at, user=user, request=request
        )
        return len(objects), 0


PEOPLE_BULK_ACTIONS = [
    RemovePeopleBulkAction,
    AccessEndPeopleBulkAction,
    UnlockPeopleBulkAction,
    ResendPeopleBulkAction,
]
