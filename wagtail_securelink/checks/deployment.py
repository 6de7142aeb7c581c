"""Checks of a production deployment, run by ``manage.py check --deploy``: HTTPS
(W002), the TLS-terminating proxy (W006), the SMTP timeout (W007), a placeholder
sender (W008), a proxy that is not trusted (W010)."""

import os
from email.utils import parseaddr

from django.conf import settings as django_settings
from django.core import checks

from wagtail_securelink.conf import settings
from wagtail_securelink.core.paths import docs_hint

__all__ = [
    "check_https",
    "check_proxy_ssl_header",
    "check_email_timeout",
    "check_sender",
    "check_trusted_proxies",
]


@checks.register(checks.Tags.security, deploy=True)
def check_https(app_configs, **kwargs):
    if settings.base_url.startswith("http://"):
        return [
            checks.Warning(
                "WAGTAIL_SECURELINK_BASE_URL is not HTTPS: grant cookies cannot use the "
                "__Host- prefix or the Secure flag.",
                hint=docs_hint("deployment/#behind-a-reverse-proxy"),
                id="wagtail_securelink.W002",
            )
        ]
    return []


def _proxy_signals() -> list[str]:
    signals = []
    if settings.TRUSTED_PROXIES:
        signals.append("WAGTAIL_SECURELINK_TRUSTED_PROXIES")
    # SECURE_SSL_REDIRECT with an https base URL: the site expects HTTPS; behind a
    # proxy without the header every request redirects to itself (a loop). gunicorn
    # reads FORWARDED_ALLOW_IPS from the environment: a proxy is named there.
    for name in ("USE_X_FORWARDED_HOST", "USE_X_FORWARDED_PORT", "SECURE_SSL_REDIRECT"):
        if getattr(django_settings, name, False):
            signals.append(name)
    if os.environ.get("FORWARDED_ALLOW_IPS"):
        signals.append("FORWARDED_ALLOW_IPS")
    return signals


@checks.register(checks.Tags.security, deploy=True)
def check_proxy_ssl_header(app_configs, **kwargs):
    """Secure and __Host- on the grant cookie follow ``request.is_secure()``: behind a
    TLS-terminating proxy that is False unless Django is told which header to believe,
    and the cookie silently loses both (S9). A proxy is "likely" when the site already
    trusts forwarded headers or redirects to HTTPS; a WSGI server that terminates TLS
    itself and redirects gets this warning too, to be silenced
    (``SILENCED_SYSTEM_CHECKS``)."""
    if not settings.base_url.startswith("https://"):
        return []
    if getattr(django_settings, "SECURE_PROXY_SSL_HEADER", None):
        return []
    signals = _proxy_signals()
    if not signals:
        return []
    return [
        checks.Warning(
            "WAGTAIL_SECURELINK_BASE_URL is HTTPS and the site is behind a proxy ("
            + ", ".join(signals)
            + " set), but SECURE_PROXY_SSL_HEADER is not set: Django sees every "
            "request as plain HTTP, so grant cookies lose the Secure flag and the "
            "__Host- prefix.",
            hint="Set SECURE_PROXY_SSL_HEADER = ('HTTP_X_FORWARDED_PROTO', 'https') "
            "and have the proxy set that header (and strip it from clients). If the "
            "WSGI server terminates TLS itself, silence this warning. "
            + docs_hint("deployment/#behind-a-reverse-proxy"),
            id="wagtail_securelink.W006",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def check_email_timeout(app_configs, **kwargs):
    # Django's SMTP backend waits forever by default: a hung mail server then pins the
    # thread that sends (a web thread with the immediate task backend) for good.
    backend = getattr(django_settings, "EMAIL_BACKEND", "")
    if backend != "django.core.mail.backends.smtp.EmailBackend":
        return []
    if getattr(django_settings, "EMAIL_TIMEOUT", None):
        return []
    return [
        checks.Warning(
            "EMAIL_TIMEOUT is not set: a mail server that stops answering holds the "
            "thread sending a code or an invitation for ever.",
            hint="Set EMAIL_TIMEOUT = 10 (seconds). " + docs_hint("operations/#email"),
            id="wagtail_securelink.W007",
        )
    ]


# Domains reserved for documentation and testing (RFC 2606, RFC 6761): mail from them
# fails SPF/DMARC everywhere and lands in junk, or is refused.
PLACEHOLDER_DOMAINS = {"localhost", "example.com", "example.org", "example.net"}
PLACEHOLDER_SUFFIXES = (".localhost", ".example", ".test", ".invalid", ".local")


def placeholder_sender(address: str) -> bool:
    domain = parseaddr(address)[1].rpartition("@")[2].lower().rstrip(".")
    if not domain:
        return True
    return (
        domain in PLACEHOLDER_DOMAINS
        or any(domain.endswith(f".{p}") for p in PLACEHOLDER_DOMAINS)
        or domain.endswith(PLACEHOLDER_SUFFIXES)
    )


@checks.register(checks.Tags.security, deploy=True)
def check_sender(app_configs, **kwargs):
    # Codes and invitations are only useful when they reach the inbox: a placeholder
    # sender (Django's default webmaster@localhost, an example.com address) cannot
    # pass SPF, DKIM or DMARC, so receiving servers file the code as junk or refuse it.
    sender = getattr(django_settings, "DEFAULT_FROM_EMAIL", "")
    if not placeholder_sender(sender):
        return []
    return [
        checks.Warning(
            f"DEFAULT_FROM_EMAIL is a placeholder ({sender!r}): codes and invitations "
            "sent from it fail SPF and DMARC and reach junk folders, or nobody.",
            hint="Set DEFAULT_FROM_EMAIL to an address on a domain you send mail from, "
            "with SPF, DKIM and DMARC set up. "
            + docs_hint("deployment/#email-that-reaches-the-inbox"),
            id="wagtail_securelink.W008",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def check_trusted_proxies(app_configs, **kwargs):
    """Behind a proxy (the SSL header names one) with no trusted proxy, every request
    comes from the proxy's address: the per-network rate limits become site-wide, and
    one visitor who trips them locks everyone out. A system check sees settings only;
    a proxy that is missing from a non-empty list is logged when its first request
    comes (``core.clients``)."""
    if settings.TRUSTED_PROXIES:
        return []
    if not getattr(django_settings, "SECURE_PROXY_SSL_HEADER", None):
        return []
    return [
        checks.Warning(
            "SECURE_PROXY_SSL_HEADER says the site is behind a proxy, but "
            "WAGTAIL_SECURELINK_TRUSTED_PROXIES is empty: every visitor counts as the "
            "proxy's address, and the rate limits become site-wide.",
            hint="List the proxy's address, e.g. WAGTAIL_SECURELINK_TRUSTED_PROXIES = "
            "['127.0.0.1'] for nginx on the same host. "
            + docs_hint("deployment/#behind-a-reverse-proxy"),
            id="wagtail_securelink.W010",
        )
    ]
