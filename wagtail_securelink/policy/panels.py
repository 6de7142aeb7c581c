"""The layout of the policy's settings page in Wagtail's admin (Settings > Secure links)."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel

__all__ = ["POLICY_PANELS"]

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
        ],
        heading=_("Verification"),
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
