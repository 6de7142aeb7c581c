"""System checks with stable ids for unsafe configuration.

``wagtail_securelink.E004`` (``RATELIMIT_FAIL_OPEN``) is retired: the limiter no longer
goes through django-ratelimit, and always fails closed.
"""

from django.apps import apps
from django.conf import settings as django_settings
from django.core import checks
from django.utils.module_loading import import_string

from . import ratelimits
from .conf import settings

# The documentation's one base URL: every hint points a pip user there, never at a
# file of the repository.
DOCS_URL = "https://wagtail-securelink.readthedocs.io/en/latest/"
_RATE_LIMITS = "deployment/#rate-limits"


def _hint(page: str) -> str:
    return f"See {DOCS_URL}{page}"


_NOT_SHARED = {
    "django.core.cache.backends.locmem.LocMemCache": "is private to one process",
    "django.core.cache.backends.dummy.DummyCache": "stores nothing",
}
_NOT_ATOMIC = {
    "django.core.cache.backends.db.DatabaseCache",
    "django.core.cache.backends.filebased.FileBasedCache",
}


@checks.register(checks.Tags.security)
def check_base_url(app_configs, **kwargs):
    if not settings.base_url:
        return [
            checks.Error(
                "WAGTAIL_SECURELINK_BASE_URL (or WAGTAILADMIN_BASE_URL) is not set.",
                hint="Links and emails are built from it, never from the request's "
                "Host header. " + _hint("configuration/#operations-django-settings"),
                id="wagtail_securelink.E001",
            )
        ]
    if not settings.base_url.startswith(("http://", "https://")):
        return [
            checks.Error(
                "WAGTAIL_SECURELINK_BASE_URL must start with http:// or https://.",
                hint=_hint("configuration/#operations-django-settings"),
                id="wagtail_securelink.E002",
            )
        ]
    return []


@checks.register(checks.Tags.caches)
def check_rate_limit_store(app_configs, **kwargs):
    """Only a store chosen explicitly can be wrong: "auto" never picks an unsafe cache."""
    store = settings.RATE_LIMIT_STORE
    if store in {ratelimits.AUTO, ratelimits.DATABASE}:
        return []
    name = "WAGTAIL_SECURELINK_RATE_LIMIT_STORE"
    if store not in django_settings.CACHES:
        return [
            checks.Error(
                f"{name} is {store!r}: neither 'auto', 'database' nor a cache in CACHES.",
                hint=_hint("configuration/#rate-limit-store"),
                id="wagtail_securelink.E005",
            )
        ]
    backend = django_settings.CACHES[store].get("BACKEND", "")
    if backend in _NOT_SHARED:
        return [
            checks.Error(
                f"{name} points at the cache {store!r} ({backend}), which "
                f"{_NOT_SHARED[backend]}: rate limits would not hold.",
                hint="Remove the setting (the database then keeps the counters) or "
                "name a Redis or Memcached cache. " + _hint(_RATE_LIMITS),
                id="wagtail_securelink.E003",
            )
        ]
    if backend in _NOT_ATOMIC:
        return [
            checks.Warning(
                f"{name} points at the cache {store!r} ({backend}), whose increments "
                "are not atomic and reset the entry's expiry: limits may admit more "
                "than their rate.",
                hint="Use 'database' instead (the default without Redis or "
                "Memcached). " + _hint(_RATE_LIMITS),
                id="wagtail_securelink.W001",
            )
        ]
    return []


@checks.register(checks.Tags.security)
def check_rates(app_configs, **kwargs):
    errors = []
    for name in ratelimits.RATE_SETTINGS:
        rate = getattr(settings, name)
        if not rate:
            continue
        try:
            ratelimits.parse_rate(rate)
        except (TypeError, ValueError):
            errors.append(
                checks.Error(
                    f"WAGTAIL_SECURELINK_{name} is {rate!r}, not a rate such as '10/h'.",
                    hint=_hint("configuration/#operations-django-settings"),
                    id="wagtail_securelink.E006",
                )
            )
    return errors


@checks.register(checks.Tags.security, deploy=True)
def check_https(app_configs, **kwargs):
    if settings.base_url.startswith("http://"):
        return [
            checks.Warning(
                "WAGTAIL_SECURELINK_BASE_URL is not HTTPS: grant cookies cannot use the "
                "__Host- prefix or the Secure flag.",
                hint=_hint("deployment/#behind-a-reverse-proxy"),
                id="wagtail_securelink.W002",
            )
        ]
    return []


@checks.register(checks.Tags.templates)
def check_app_order(app_configs, **kwargs):
    # The Share / Manage access buttons on Wagtail's collection edit view come from a
    # same-name template override: Wagtail has no hook for that view's buttons and
    # mounts its URLs before any app can front them. Django picks the template of the
    # first app in INSTALLED_APPS, so ours must come before wagtail.admin.
    names = [config.name for config in apps.get_app_configs()]
    if "wagtail.admin" not in names or "wagtail_securelink" not in names:
        return []
    if names.index("wagtail_securelink") < names.index("wagtail.admin"):
        return []
    return [
        checks.Warning(
            "'wagtail_securelink' is listed after 'wagtail.admin' in INSTALLED_APPS: "
            "the Share and Manage access buttons will not appear on the collection "
            "edit view.",
            hint="Move 'wagtail_securelink' above 'wagtail.admin' in INSTALLED_APPS. "
            "See https://wagtail-securelink.readthedocs.io/en/latest/installation/",
            id="wagtail_securelink.W003",
        )
    ]


ACCOUNT_ADDRESSES_DOCS = (
    "https://wagtail-securelink.readthedocs.io/en/latest/security/#account-addresses"
)


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


DOCS = "https://wagtail-securelink.readthedocs.io/en/latest/"


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
                f"URLs), see {DOCS}security/#private-documents",
                id="wagtail_securelink.W005",
            )
        ]
    return []


@checks.register()
def check_upload_scanner(app_configs, **kwargs):
    dotted = settings.UPLOAD_SCANNER
    if not dotted:
        return []
    try:
        scanner = import_string(dotted)
    except ImportError as error:
        scanner, reason = None, str(error)
    else:
        reason = "it is not callable"
    if callable(scanner):
        return []
    return [
        checks.Error(
            f"WAGTAIL_SECURELINK_UPLOAD_SCANNER {dotted!r} cannot be used: {reason}.",
            hint="Give the dotted path of a callable scanner(uploaded_file, context), "
            f"see {DOCS}configuration/#upload-scanner",
            id="wagtail_securelink.E007",
        )
    ]


def _proxy_signals() -> list[str]:
    signals = []
    if settings.TRUSTED_PROXIES:
        signals.append("WAGTAIL_SECURELINK_TRUSTED_PROXIES")
    for name in ("USE_X_FORWARDED_HOST", "USE_X_FORWARDED_PORT"):
        if getattr(django_settings, name, False):
            signals.append(name)
    return signals


@checks.register(checks.Tags.security, deploy=True)
def check_proxy_ssl_header(app_configs, **kwargs):
    """Secure and __Host- on the grant cookie follow ``request.is_secure()``: behind a
    TLS-terminating proxy that is False unless Django is told which header to believe,
    and the cookie silently loses both (S9). A proxy is "likely" when the site already
    trusts forwarded headers; a WSGI server that terminates TLS itself gets no warning."""
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
            "and have the proxy set that header (and strip it from clients). "
            + _hint("deployment/#behind-a-reverse-proxy"),
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
            hint="Set EMAIL_TIMEOUT = 10 (seconds). " + _hint("operations/#email"),
            id="wagtail_securelink.W007",
        )
    ]


# Not Tags.database: those run only under migrate and `check --database`.
@checks.register(checks.Tags.compatibility)
def check_postgres_app(app_configs, **kwargs):
    """Wagtail's search index uses a GinIndex on PostgreSQL, which Django 6 refuses to
    create without ``django.contrib.postgres`` (its postgres.E005 names the index, not
    the remedy): say so with the one line to add, before ``migrate`` fails."""
    if apps.is_installed("django.contrib.postgres"):
        return []
    aliases = [
        alias
        for alias, database in getattr(django_settings, "DATABASES", {}).items()
        if "postgresql" in database.get("ENGINE", "")
        or "postgis" in database.get("ENGINE", "")
    ]
    if not aliases:
        return []
    return [
        checks.Error(
            f"The database {aliases[0]!r} is PostgreSQL but 'django.contrib.postgres' "
            "is not in INSTALLED_APPS: `migrate` fails on Wagtail's search index "
            "(postgres.E005, a GinIndex) with Django 6, and the scale-out shape cannot "
            "start.",
            hint="Add 'django.contrib.postgres' to INSTALLED_APPS, see "
            f"{DOCS}deployment/#installing",
            id="wagtail_securelink.E008",
        )
    ]
