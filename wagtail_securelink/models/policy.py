"""The administrator's policy (SPEC §6): a Wagtail generic settings model.

Its fields are what an administrator decides; ``current_policy`` is the one way to
read it. Above the model: its field type and value helpers, and the layout of its settings
page in Wagtail's admin (Settings > Secure links).
"""

import secrets
import threading

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from wagtail_securelink.choices import Audience, IPStorage, PasskeyPolicy, Role

__all__ = [
    "SecureLinkPolicy",
    "RoleSetField",
    "normalise_domains",
    "all_roles",
    "view_and_download",
    "POLICY_PANELS",
    "current_policy",
]


# --------------------------------------------------------------------------------------
# The policy's own field type and value helpers: role sets, domain lists.


def normalise_domains(text: str) -> list[str]:
    """One domain a line, lower-cased, IDNA-encoded, blank lines and '@' dropped."""
    domains = []
    for line in (text or "").splitlines():
        domain = line.strip().lstrip("@").rstrip(".").lower()
        if not domain:
            continue
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            pass
        domains.append(domain)
    return domains


def all_roles() -> list[str]:
    return list(Role.values)


def view_and_download() -> list[str]:
    return [Role.VIEW, Role.DOWNLOAD]


class RoleSetField(models.JSONField):
    """A set of roles, stored as a JSON list and edited as checkboxes."""

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        if not isinstance(value, list) or not set(value) <= set(Role.values):
            raise ValidationError(_("Choose roles from the list."), code="invalid")

    def formfield(self, **kwargs):
        return forms.TypedMultipleChoiceField(
            choices=Role.choices,
            widget=forms.CheckboxSelectMultiple,
            required=False,
            label=capfirst(self.verbose_name),
            help_text=self.help_text,
        )


# --------------------------------------------------------------------------------------
# The layout of the policy's settings page in Wagtail's admin (Settings > Secure links).

POLICY_PANELS = [
    MultiFieldPanel(
        [
            FieldPanel("allow_organization"),
            FieldPanel("allow_anyone"),
            FieldPanel("specific_roles"),
            FieldPanel("organization_roles"),
            FieldPanel("anyone_roles"),
            FieldPanel("default_audience"),
            FieldPanel("default_role"),
            FieldPanel("default_expiry_days"),
            FieldPanel("anyone_max_expiry_days"),
            FieldPanel("expire_unused_links_days"),
        ],
        heading=_("Links"),
    ),
    MultiFieldPanel(
        [
            FieldPanel("reverification_days"),
            FieldPanel("code_lifetime_minutes"),
            FieldPanel("code_length"),
            FieldPanel("code_max_attempts"),
            FieldPanel("lockout_threshold"),
            FieldPanel("resend_cooldown_seconds"),
            FieldPanel("show_item_name_before_verification"),
            FieldPanel("passkeys"),
            FieldPanel("passkey_stay_hours"),
        ],
        heading=_("Verification"),
    ),
    MultiFieldPanel(
        [FieldPanel("allow_page_previews"), FieldPanel("page_max_expiry_days")],
        heading=_("Page previews"),
    ),
    MultiFieldPanel(
        [FieldPanel("private_by_default")],
        heading=_("Privacy of shared items"),
    ),
    MultiFieldPanel(
        [
            FieldPanel("watermark_by_default"),
            FieldPanel("watermark_pdf_max_mb"),
            FieldPanel("default_terms"),
        ],
        heading=_("View-only links"),
    ),
    MultiFieldPanel(
        [FieldPanel("allowed_domains"), FieldPanel("blocked_domains")],
        heading=_("Recipients"),
    ),
    MultiFieldPanel(
        [FieldPanel("notify_first_open"), FieldPanel("notify_unlisted_attempt")],
        heading=_("Notifications"),
    ),
    MultiFieldPanel(
        [
            FieldPanel("zip_max_mb"),
            FieldPanel("upload_max_mb"),
            FieldPanel("event_retention_days"),
            FieldPanel("store_ip_addresses"),
        ],
        heading=_("Downloads and audit"),
    ),
]


def _bounded(low, high):
    return [MinValueValidator(low), MaxValueValidator(high)]


_ROLES_HELP = _(
    "Existing links with a role no longer ticked stop working on their next request."
)


@register_setting(icon="link")
class SecureLinkPolicy(BaseGenericSetting):
    # "Specific people" links cannot be switched off (SPEC §6), so only the other two
    # audiences have a switch.
    allow_organization = models.BooleanField(
        _("allow links for people signed in to this site"), default=True
    )
    allow_anyone = models.BooleanField(
        _("allow links that work for anyone"),
        default=True,
        help_text=_("Switching this off stops existing 'anyone' links at once."),
    )
    # Roles allowed per audience (SPEC §6). By default an ``anyone`` link cannot edit
    # or upload: an anonymous visitor would otherwise change the site's documents.
    specific_roles = RoleSetField(
        _("roles allowed on links for specific people"),
        default=all_roles,
        blank=True,
        help_text=_ROLES_HELP,
    )
    organization_roles = RoleSetField(
        _("roles allowed on links for people signed in to this site"),
        default=all_roles,
        blank=True,
        help_text=_ROLES_HELP,
    )
    anyone_roles = RoleSetField(
        _("roles allowed on links that work for anyone"),
        default=view_and_download,
        blank=True,
        help_text=_ROLES_HELP,
    )
    default_audience = models.CharField(
        _("default audience"),
        max_length=20,
        choices=Audience.choices,
        default=Audience.SPECIFIC,
    )
    default_role = models.CharField(
        _("default role"), max_length=20, choices=Role.choices, default=Role.DOWNLOAD
    )
    reverification_days = models.PositiveIntegerField(
        _("reverification period (days)"),
        default=15,
        validators=_bounded(1, 365),
        help_text=_(
            "How many days a verified visitor keeps access before a new code is needed."
        ),
    )
    passkeys = models.CharField(
        _("passkeys"),
        max_length=20,
        choices=PasskeyPolicy.choices,
        default=PasskeyPolicy.OFFERED,
        db_default=PasskeyPolicy.OFFERED,
        help_text=_(
            "After a code, an outsider may save a passkey and use it instead of the "
            "next codes, while their last code is within the reverification period."
        ),
    )
    passkey_stay_hours = models.PositiveIntegerField(
        _("hours a browser a passkey let in stays in"),
        default=12,
        db_default=12,
        validators=_bounded(1, 720),
        help_text=_(
            "With the last passkey choice: 1 to 720 hours, then the browser asks for "
            "the passkey again (never past the reverification period)."
        ),
    )
    code_lifetime_minutes = models.PositiveIntegerField(
        _("code lifetime (minutes)"), default=10, validators=_bounded(1, 30)
    )
    code_length = models.PositiveIntegerField(
        _("code length (digits)"),
        default=6,
        validators=_bounded(6, 8),
        help_text=_(
            "6 to 8 digits, the range of RFC 4226: longer codes would not be "
            "uniform (the standard's value has 31 bits), so they would add less "
            "than they seem."
        ),
    )
    code_max_attempts = models.PositiveIntegerField(
        _("wrong tries per code"), default=5, validators=_bounded(1, 10)
    )
    lockout_threshold = models.PositiveIntegerField(
        _("consecutive failures before the recipient is locked"),
        default=100,
        validators=_bounded(10, 100),
        help_text=_(
            "10 to 100: NIST SP 800-63B-4 allows at most 100 consecutive failed tries. "
            "An editor unlocks a locked recipient in Manage access."
        ),
    )
    resend_cooldown_seconds = models.PositiveIntegerField(
        _("resend cooldown (seconds)"), default=60, validators=_bounded(0, 3600)
    )
    anyone_max_expiry_days = models.PositiveIntegerField(
        _("'anyone' links must expire within (days)"),
        default=30,
        validators=_bounded(0, 730),
        help_text=_(
            "0 means no limit. Counted from the day a link was created; lowering it "
            "shortens existing links on their next request."
        ),
    )
    default_expiry_days = models.PositiveIntegerField(
        _("default expiry for new links (days)"),
        null=True,
        blank=True,
        validators=_bounded(0, 730),
        help_text=_("Leave empty (or 0) for links that do not expire by default."),
    )
    expire_unused_links_days = models.PositiveIntegerField(
        _("links unused for this many days expire (days)"),
        null=True,
        blank=True,
        validators=_bounded(1, 3650),
        help_text=_(
            "Empty: links never expire for being unused. Applied by securelink_purge."
        ),
    )
    allowed_domains = models.TextField(
        _("allowed recipient domains"),
        blank=True,
        help_text=_(
            "One domain a line. Empty: every domain not blocked. Recipients outside "
            "the list lose access on their next request."
        ),
    )
    blocked_domains = models.TextField(
        _("blocked recipient domains"),
        blank=True,
        help_text=_(
            "One domain a line. Blocked wins over allowed. Recipients of a blocked "
            "domain lose access on their next request."
        ),
    )
    notify_first_open = models.BooleanField(
        _("notify the sharer on a recipient's first open"), default=True
    )
    notify_unlisted_attempt = models.BooleanField(
        _("notify the sharer when an unlisted address tries a link"), default=True
    )
    show_item_name_before_verification = models.BooleanField(
        _("show the item's name before verification"), default=False
    )
    zip_max_mb = models.PositiveIntegerField(
        _("ZIP download cap (MB)"), default=500, validators=_bounded(1, 1024 * 1024)
    )
    upload_max_mb = models.PositiveIntegerField(
        _("upload size cap (MB)"),
        default=100,
        validators=_bounded(1, 10240),
        help_text=_(
            "The largest file a visitor may upload through an 'edit' or 'upload' link."
        ),
    )
    private_by_default = models.BooleanField(
        _("shared and received documents are private"),
        default=True,
        help_text=_(
            "A document or collection shared with specific people or with people "
            "signed in to this site is no longer served by Wagtail's own document "
            "URLs, unless the editor chooses to keep it public. Files received "
            "through a link are always private until an editor publishes them."
        ),
    )
    watermark_by_default = models.BooleanField(
        _("watermark the pages of view-only links by default"),
        default=True,
        help_text=_(
            "The viewer's address (or 'anyone link'), the date and the link's id are "
            "burned into every page shown by a view-only link."
        ),
    )
    watermark_pdf_max_mb = models.PositiveIntegerField(
        _("largest PDF stamped on download (MB)"),
        default=50,
        validators=_bounded(1, 1024),
        help_text=_(
            "A link that watermarks downloads refuses a larger PDF rather than send "
            "it unstamped."
        ),
    )
    default_terms = models.TextField(
        _("default terms to accept"),
        blank=True,
        help_text=_(
            "Proposed on the share form: a visitor must accept a link's terms before "
            "the item shows. Empty: no terms by default."
        ),
    )
    event_retention_days = models.PositiveIntegerField(
        _("access event retention (days)"), default=365, validators=_bounded(30, 3650)
    )
    # Page previews: reviewers outside the CMS see a draft page (SPEC §2).
    allow_page_previews = models.BooleanField(
        _("allow sharing previews of draft pages"),
        default=True,
        db_default=True,
        help_text=_(
            "Switching this off stops existing page preview links on their next "
            "request."
        ),
    )
    page_max_expiry_days = models.PositiveIntegerField(
        _("page preview links must expire within (days)"),
        default=30,
        db_default=30,
        validators=_bounded(0, 730),
        help_text=_(
            "0 means no limit. Counted from the day a link was created; lowering it "
            "shortens existing page preview links on their next request."
        ),
    )
    store_ip_addresses = models.CharField(
        _("store visitor IP addresses"),
        max_length=20,
        choices=IPStorage.choices,
        default=IPStorage.ANONYMISED,
    )

    # Changed by every save(); compared with the per-process copy (``current``).
    version = models.BigIntegerField(default=0, editable=False)

    panels = POLICY_PANELS

    class Meta:
        verbose_name = _("Secure links")

    def save(self, *args, **kwargs):
        # Random rather than +1: two admins saving at once still get distinct versions.
        self.version = secrets.randbits(62)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "version"}
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        if not self.audience_allowed(self.default_audience):
            raise ValidationError(
                {
                    "default_audience": _(
                        "The default audience must be one of the allowed audiences."
                    )
                }
            )
        if not self.role_allowed(self.default_audience, self.default_role):
            raise ValidationError(
                {
                    "default_role": _(
                        "The default role must be allowed for the default audience."
                    )
                }
            )
        if self.default_role == Role.UPLOAD:
            raise ValidationError(
                {
                    "default_role": _(
                        "'Upload only' works on collections only and cannot be the default."
                    )
                }
            )

    # Derived values, so callers never parse the text fields themselves.
    @property
    def allowed_domain_list(self) -> list[str]:
        return normalise_domains(self.allowed_domains)

    @property
    def blocked_domain_list(self) -> list[str]:
        return normalise_domains(self.blocked_domains)

    @property
    def allowed_audiences(self) -> list[str]:
        return [a for a in Audience.values if self.audience_allowed(a)]

    def audience_allowed(self, audience: str) -> bool:
        return {
            Audience.SPECIFIC: True,
            Audience.ORGANIZATION: self.allow_organization,
            Audience.ANYONE: self.allow_anyone,
        }.get(audience, False)

    def allowed_roles(self, audience: str) -> list[str]:
        """The roles a link for ``audience`` may have, in the order of ``Role``."""
        chosen = {
            Audience.SPECIFIC: self.specific_roles,
            Audience.ORGANIZATION: self.organization_roles,
            Audience.ANYONE: self.anyone_roles,
        }.get(audience) or []
        return [r for r in Role.values if r in chosen]

    def role_allowed(self, audience: str, role: str) -> bool:
        return role in self.allowed_roles(audience)

    @property
    def effective_default_expiry_days(self) -> int | None:
        return self.default_expiry_days or None


# The policy is read on every visitor request, so each thread keeps the last copy it
# read together with the row's ``version``. A caller that already knows the stored
# version (the link lookup reads it in the same query, see
# ``verification.access.resolve_token``) gets the cached copy without a query of its
# own; a saved policy gets a new version, so every process sees the change on its very
# next request (§6: "applies at once"). A policy instance is not shared across threads.
_cached = threading.local()


def current_policy(
    request=None, *, link=None, version: int | None = None
) -> SecureLinkPolicy:
    """The site's policy: the one way the package reads it.

    Cached on ``request`` when given, so one request reads it once. ``link`` (from
    ``resolve_token``) or ``version`` carries the stored row's version as read in a
    query the caller makes anyway; while it matches this thread's copy, no query is
    made.
    """
    if version is None and link is not None:
        version = getattr(link, "policy_version", None)
    attr = SecureLinkPolicy.get_cache_attr_name()
    if request is not None and hasattr(request, attr):
        return getattr(request, attr)
    policy = getattr(_cached, "policy", None)
    if version is None or policy is None or policy.version != version:
        policy = SecureLinkPolicy.load()
        _cached.policy = policy
    if request is not None:
        setattr(request, attr, policy)
    return policy
