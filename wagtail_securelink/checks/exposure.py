"""Settings that would open what a link protects to people it does not name: account
addresses nobody proved (W004, S17), documents served by the storage itself (W005,
S16)."""

from django.conf import settings as django_settings
from django.core import checks

from wagtail_securelink.conf import settings
from wagtail_securelink.core.paths import DOCS_URL

__all__ = [
    "ACCOUNT_ADDRESSES_DOCS",
    "check_account_addresses",
    "check_direct_serve_method",
]

ACCOUNT_ADDRESSES_DOCS = f"{DOCS_URL}security/#account-addresses"


@checks.register(checks.Tags.security)
def check_account_addresses(app_configs, **kwargs):
    """S17: account addresses stand for recipients only where they are proven."""
    if not settings.ACCOUNT_EMAILS_VERIFIED:
        return []
    if getattr(django_settings, "WAGTAIL_EMAIL_MANAGEMENT_ENABLED", True):
        return [
            checks.Warning(
                "WAGTAIL_SECURELINK_ACCOUNT_EMAILS_VERIFIED is True while Wagtail lets "
                "users change their own email address without proving it "
                "(WAGTAIL_EMAIL_MANAGEMENT_ENABLED): any user could type a recipient's "
                "address on their account and open that recipient's links without a code.",
                hint=f"Set WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False, or leave the "
                f"setting False unless addresses are verified elsewhere (single "
                f"sign-on). See {ACCOUNT_ADDRESSES_DOCS}",
                id="wagtail_securelink.W004",
            )
        ]
    return []


@checks.register(checks.Tags.security)
def check_direct_serve_method(app_configs, **kwargs):
    # With "direct", a document's URL is the storage's own (MEDIA_URL, a bucket), which
    # no Django view answers: private documents (S16) would be public there.
    if getattr(django_settings, "WAGTAILDOCS_SERVE_METHOD", None) == "direct":
        return [
            checks.Warning(
                "WAGTAILDOCS_SERVE_METHOD is 'direct': documents are served by the "
                "storage itself, so documents shared privately or received through a "
                "link stay public at their storage URL.",
                hint="Use 'serve_view' (or 'redirect' with a private bucket and signed "
                f"URLs), see {DOCS_URL}security/#private-documents",
                id="wagtail_securelink.W005",
            )
        ]
    return []
