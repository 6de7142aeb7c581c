"""Checks of the rate-limit settings (S5, S6): E003, E005, E006, W001; the bounds on
renders in progress (E010)."""

from django.conf import settings as django_settings
from django.core import checks

from wagtail_securelink.conf import settings
from wagtail_securelink.core.paths import docs_hint
from wagtail_securelink.ratelimit import rules as ratelimits

__all__ = [
    "check_rate_limit_store",
    "check_rates",
    "check_render_bounds",
    "RENDER_BOUNDS",
]

_RATE_LIMITS = "deployment/#rate-limits"

_NOT_SHARED = {
    "django.core.cache.backends.locmem.LocMemCache": "is private to one process",
    "django.core.cache.backends.dummy.DummyCache": "stores nothing",
}
_NOT_ATOMIC = {
    "django.core.cache.backends.db.DatabaseCache",
    "django.core.cache.backends.filebased.FileBasedCache",
}


@checks.register(checks.Tags.caches)
def check_rate_limit_store(app_configs, **kwargs):
    """Only a store chosen explicitly can be wrong: "auto" never picks an unsafe cache."""
    store = settings.RATE_LIMIT_STORE
    if store in {ratelimits.AUTO, ratelimits.DATABASE}:
        return []
    name = "WAGTAIL_SECURELINK_RATE_LIMIT_STORE"
    if store not in getattr(django_settings, "CACHES", {}):
        return [
            checks.Error(
                f"{name} is {store!r}: neither 'auto', 'database' nor a cache in CACHES.",
                hint=docs_hint("configuration/#rate-limit-store"),
                id="wagtail_securelink.E005",
            )
        ]
    backend = getattr(django_settings, "CACHES", {})[store].get("BACKEND", "")
    if backend in _NOT_SHARED:
        return [
            checks.Error(
                f"{name} points at the cache {store!r} ({backend}), which "
                f"{_NOT_SHARED[backend]}: rate limits would not hold.",
                hint="Remove the setting (the database then keeps the counters) or "
                "name a Redis or Memcached cache. " + docs_hint(_RATE_LIMITS),
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
                "Memcached). " + docs_hint(_RATE_LIMITS),
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
                    hint=docs_hint("configuration/#operations-django-settings"),
                    id="wagtail_securelink.E006",
                )
            )
    return errors


# Renders in progress at a time (serving/renders.py): a whole number, 0 or None for
# no bound.
RENDER_BOUNDS = [
    "RENDER_CONCURRENT_PER_LINK",
    "RENDER_CONCURRENT_PER_NETWORK",
    "RENDER_CONCURRENT_SITE",
]


@checks.register(checks.Tags.security)
def check_render_bounds(app_configs, **kwargs):
    errors = []
    for name in RENDER_BOUNDS:
        value = getattr(settings, name)
        if value is None or (type(value) is int and value >= 0):
            continue
        errors.append(
            checks.Error(
                f"WAGTAIL_SECURELINK_{name} is {value!r}, not a whole number of 0 or "
                "more (0 or None: no bound).",
                hint=docs_hint("configuration/#operations-django-settings"),
                id="wagtail_securelink.E010",
            )
        )
    return errors
