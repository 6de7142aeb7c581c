"""Editor forms. They only parse what was typed; ``services`` decides what is allowed.

``share`` is the share form, ``manage_access`` the forms of the Manage access page,
``base`` what they share (address lists, dates, the service layer's errors).
"""

from wagtail_securelink.admin.forms.base import (
    ServiceErrorsMixin,
    end_of_day,
    split_addresses,
)
from wagtail_securelink.admin.forms.manage_access import (
    AccessEndForm,
    AddRecipientsForm,
    ChangeExpiryForm,
)
from wagtail_securelink.admin.forms.share import ShareForm

__all__ = [
    "ShareForm",
    "AddRecipientsForm",
    "ChangeExpiryForm",
    "AccessEndForm",
    "ServiceErrorsMixin",
    "split_addresses",
    "end_of_day",
]
