"""What the site's policy allows for a new link: what can be shared, and the audience,
role, expiry, password and reverification period chosen.
``links.create_link`` checks every option here before it writes anything.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from wagtail.documents import get_document_model
from wagtail.models import Collection

from wagtail_securelink.choices import Audience, Role, TargetType
from wagtail_securelink.policy import enforcement

__all__ = ["target_type", "clean_link_options"]


def target_type(target) -> str:
    if isinstance(target, Collection):
        return TargetType.COLLECTION
    if isinstance(target, get_document_model()):
        return TargetType.DOCUMENT
    raise ValidationError(_("Only documents and collections can be shared."))


def clean_link_options(
    *, target_type, audience, role, expires_at, reverification_days, password, policy
):
    """Check the options against the policy; return the (possibly forced) expiry."""
    errors = {}
    if audience not in Audience.values or not policy.audience_allowed(audience):
        errors["audience"] = _("The site's policy does not allow this kind of link.")
    if role not in Role.values:
        errors["role"] = _("Unknown role.")
    elif role == Role.UPLOAD and target_type == TargetType.DOCUMENT:
        errors["role"] = _(
            "'Upload only' works on collections, not on a single document."
        )
    elif audience in Audience.values and not policy.role_allowed(audience, role):
        errors["role"] = _(
            "The site's policy does not allow this role on this kind of link."
        )
    try:
        expires_at = enforcement.clean_expiry(audience, expires_at, policy)
    except ValidationError as error:
        errors.update(error.message_dict)
    if password and audience != Audience.ANYONE:
        errors["password"] = _("Only links that work for anyone can have a password.")
    if reverification_days is not None and not (
        1 <= reverification_days <= policy.reverification_days
    ):
        errors["reverification_days"] = _(
            "The reverification period must be between 1 and %(max)s days."
        ) % {"max": policy.reverification_days}
    if errors:
        raise ValidationError(errors)
    return expires_at
