"""Template tags for the visitor pages."""

from django import template

from wagtail_securelink.mail.messages import site_name
from wagtail_securelink.verification import passkeys

register = template.Library()


@register.simple_tag
def securelink_site_name() -> str:
    """The name the visitor pages show: the one the emails sign off with (the default
    Wagtail Site's name, else ``WAGTAIL_SITE_NAME``), never the request's Host (S12)."""
    return site_name()


@register.simple_tag(takes_context=True)
def securelink_passkey_save_offered(context, link, access) -> bool:
    """Whether this page, after a code, offers "Save a passkey for next time"."""
    request = context.get("request")
    return request is not None and passkeys.save_offered(request, link, access)
