"""System checks with stable ids for unsafe configuration.

``wagtail_securelink.E004`` (``RATELIMIT_FAIL_OPEN``) is retired: the limiter no longer
goes through django-ratelimit, and always fails closed.
"""

from django.conf import settings as django_settings
from django.core import checks

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
