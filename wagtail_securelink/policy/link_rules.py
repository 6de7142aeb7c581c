"""What the site's policy allows for a new link: what can be shared, and the audience,
role, expiry, password and reverification period chosen.
``links.create_link`` checks every option here before it writes anything.
"""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from wagtail.documents import get_document_model
from wagtail.models import Collection, Page

from wagtail_securelink.choices import Audience, Role, TargetType
from wagtail_securelink.models.links import page_expiry_limit
from wagtail_securelink.policy import enforcement

__all__ = [
    "target_type",
    "clean_link_options",
    "PAGE_AUDIENCES",
    "PAGE_ROLES",
]

# A page preview is for reviewers the sharer names or for colleagues signed in; an
# unpublished draft is never for anyone who holds the URL. Reviewers only look.
PAGE_AUDIENCES = (Audience.SPECIFIC, Audience.ORGANIZATION)
PAGE_ROLES = (Role.VIEW,)


def target_type(target) -> str:
    if isinstance(target, Collection):
        return TargetType.COLLECTION
    if isinstance(target, get_document_model()):
        return TargetType.DOCUMENT
    if isinstance(target, Page):
        return TargetType.PAGE
    raise ValidationError(_("Only documents, collections and pages can be shared."))


def _clean_page_options(*, audience, role, expires_at, policy, errors):
    """A page preview's own rules; returns the expiry to store."""
    if not policy.allow_page_previews:
        errors["target"] = _("The site's policy does not allow sharing page previews.")
        return expires_at
    if audience not in PAGE_AUDIENCES:
        errors["audience"] = _(
            "A page preview can be shared with specific people or with people "
            "signed in to this site only."
        )
    if role not in PAGE_ROLES:
        errors["role"] = _("A page preview is view only.")
    limit = page_expiry_limit(timezone.now(), policy)
    if limit is None:
        return expires_at
    if expires_at is None or expires_at >= limit:
        if expires_at is not None and (
            timezone.localdate(expires_at) > timezone.localdate(limit)
        ):
            errors["expires_at"] = _(
                "Page previews must expire within %(days)s days: %(date)s at the latest."
            ) % {
                "days": policy.page_max_expiry_days,
                "date": date_format(timezone.localtime(limit)),
            }
        return limit
    return expires_at


def clean_link_options(
    *, target_type, audience, role, expires_at, reverification_days, password, policy
):
    """Check the options against the policy; return the (possibly forced) expiry."""
    errors = {}
    if target_type == TargetType.PAGE:
        expires_at = _clean_page_options(
            audience=audience,
            role=role,
            expires_at=expires_at,
            policy=policy,
            errors=errors,
        )
        if errors.get("target"):
            raise ValidationError(errors)
    if audience not in Audience.values or not policy.audience_allowed(audience):
        errors.setdefault(
            "audience", _("The site's policy does not allow this kind of link.")
        )
    if role not in Role.values:
        errors.setdefault("role", _("Unknown role."))
    elif role == Role.UPLOAD and target_type == TargetType.DOCUMENT:
        errors["role"] = _(
            "'Upload only' works on collections, not on a single document."
        )
    elif audience in Audience.values and not policy.role_allowed(audience, role):
        errors.setdefault(
            "role",
            _("The site's policy does not allow this role on this kind of link."),
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
