"""System checks with stable ids for unsafe configuration.

============================  ====================================================
module                        checks
============================  ====================================================
this one (the installation)   E001, E002 base URL; W003 app order; E007 upload
                              scanner; E008 ``django.contrib.postgres``
``rate_limits``               E003, E005 rate-limit store; E006 rates; W001;
                              E010 bounds on renders in progress
``deployment`` (``--deploy``) W002 HTTPS; W006 proxy SSL header; W007 SMTP timeout;
                              W008 placeholder sender; W010 untrusted proxy
``exposure``                  W004 account addresses; W005 ``direct`` serve method;
                              E009, W009 the private storage
============================  ====================================================

Importing this package registers every check (``apps.ready`` does). ``core.paths`` holds
the documentation URL every hint points at.
"""

from django.apps import apps
from django.conf import settings as django_settings
from django.core import checks
from django.utils.module_loading import import_string

from wagtail_securelink.checks.deployment import (
    check_email_timeout,
    check_https,
    check_proxy_ssl_header,
    check_sender,
    check_trusted_proxies,
)
from wagtail_securelink.checks.exposure import (
    ACCOUNT_ADDRESSES_DOCS,
    check_account_addresses,
    check_direct_serve_method,
    check_private_storage,
)
from wagtail_securelink.checks.rate_limits import (
    check_rate_limit_store,
    check_rates,
    check_render_bounds,
)
from wagtail_securelink.conf import settings
from wagtail_securelink.core.paths import DOCS_URL, docs_hint

__all__ = [
    "DOCS_URL",
    "ACCOUNT_ADDRESSES_DOCS",
    "check_base_url",
    "check_rate_limit_store",
    "check_rates",
    "check_render_bounds",
    "check_https",
    "check_app_order",
    "check_account_addresses",
    "check_direct_serve_method",
    "check_private_storage",
    "check_upload_scanner",
    "check_proxy_ssl_header",
    "check_email_timeout",
    "check_sender",
    "check_trusted_proxies",
    "check_postgres_app",
]


@checks.register(checks.Tags.security)
def check_base_url(app_configs, **kwargs):
    if not settings.base_url:
        return [
            checks.Error(
                "WAGTAIL_SECURELINK_BASE_URL (or WAGTAILADMIN_BASE_URL) is not set.",
                hint="Links and emails are built from it, never from the request's "
                "Host header. "
                + docs_hint("configuration/#operations-django-settings"),
                id="wagtail_securelink.E001",
            )
        ]
    if not settings.base_url.startswith(("http://", "https://")):
        return [
            checks.Error(
                "WAGTAIL_SECURELINK_BASE_URL must start with http:// or https://.",
                hint=docs_hint("configuration/#operations-django-settings"),
                id="wagtail_securelink.E002",
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
            + docs_hint("installation/"),
            id="wagtail_securelink.W003",
        )
    ]


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
            f"see {DOCS_URL}configuration/#upload-scanner",
            id="wagtail_securelink.E007",
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
    # Read through this module's ``django_settings``: tests/checks/test_checks.py puts a
    # PostgreSQL ``DATABASES`` there without opening such a database.
    aliases = [
        alias
        for alias, database in django_settings.DATABASES.items()
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
            f"{DOCS_URL}deployment/#installing",
            id="wagtail_securelink.E008",
        )
    ]
