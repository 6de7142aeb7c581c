"""Template tags for the visitor pages."""

from django import template

from wagtail_securelink.mail.messages import site_name

register = template.Library()


@register.simple_tag
def securelink_site_name() -> str:
    """The name the visitor pages show: the one the emails sign off with (the default
    Wagtail Site's name, else ``WAGTAIL_SITE_NAME``), never the request's Host (S12)."""
    return site_name()
