"""System checks for unsafe configuration (E003 and W001: tests/security/test_s5_s6_…)."""

import pytest
from django.apps import apps
from django.core.checks import run_checks
from django.core.files.storage import Storage
from django.test import override_settings

from wagtail_securelink import checks

LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


def _ids(messages):
    return [message.id for message in messages]


def test_missing_base_url_is_an_error(settings):
    settings.WAGTAIL_SECURELINK_BASE_URL = None
    settings.WAGTAILADMIN_BASE_URL = ""
    assert _ids(checks.check_base_url(None)) == ["wagtail_securelink.E001"]
    settings.WAGTAIL_SECURELINK_BASE_URL = "ftp://example.com"
    assert _ids(checks.check_base_url(None)) == ["wagtail_securelink.E002"]


def test_plain_http_base_url_warns_on_deploy(settings):
    settings.WAGTAIL_SECURELINK_BASE_URL = "http://docs.example.com"
    assert _ids(checks.check_https(None)) == ["wagtail_securelink.W002"]
    settings.WAGTAIL_SECURELINK_BASE_URL = "https://docs.example.com"
    assert checks.check_https(None) == []


def test_a_store_that_names_no_cache_is_an_error(settings):
    settings.WAGTAIL_SECURELINK_RATE_LIMIT_STORE = "redis"
    assert _ids(checks.check_rate_limit_store(None)) == ["wagtail_securelink.E005"]


@pytest.mark.parametrize("rate", ["10", "ten an hour", "10/w", 10])
def test_an_invalid_rate_is_an_error(settings, rate):
    settings.WAGTAIL_SECURELINK_RATE_CHECK_PER_LINK = rate
    assert _ids(checks.check_rates(None)) == ["wagtail_securelink.E006"]


def test_valid_and_empty_rates_pass(settings):
    settings.WAGTAIL_SECURELINK_RATE_CHECK_PER_LINK = "100/2h"
    settings.WAGTAIL_SECURELINK_RATE_LOOKUP_PER_NETWORK = ""
    assert checks.check_rates(None) == []


@pytest.mark.parametrize("value", [-1, "2", 1.5, True])
def test_an_invalid_render_bound_is_an_error(settings, value):
    settings.WAGTAIL_SECURELINK_RENDER_CONCURRENT_SITE = value
    assert _ids(checks.check_render_bounds(None)) == ["wagtail_securelink.E010"]


def test_render_bounds_may_be_numbers_zero_or_none(settings):
    settings.WAGTAIL_SECURELINK_RENDER_CONCURRENT_SITE = 4
    settings.WAGTAIL_SECURELINK_RENDER_CONCURRENT_PER_LINK = 0
    settings.WAGTAIL_SECURELINK_RENDER_CONCURRENT_PER_NETWORK = None
    assert checks.check_render_bounds(None) == []


def test_every_hint_is_a_url_of_the_docs(settings):
    """A pip user has no repository checkout: hints point at the published docs."""
    settings.WAGTAILADMIN_BASE_URL = ""
    messages = []
    for base_url in (None, "ftp://x", "http://x"):
        settings.WAGTAIL_SECURELINK_BASE_URL = base_url
        messages += checks.check_base_url(None) + checks.check_https(None)
    settings.WAGTAIL_SECURELINK_RATE_CHECK_PER_LINK = "often"
    messages += checks.check_rates(None)
    settings.WAGTAIL_SECURELINK_RENDER_CONCURRENT_SITE = -1
    messages += checks.check_render_bounds(None)
    for backend in ("locmem.LocMemCache", "db.DatabaseCache", "nothing"):
        settings.CACHES = {
            "default": LOCMEM,
            "limits": {"BACKEND": f"django.core.cache.backends.{backend}"},
        }
        for store in ("limits", "missing"):
            settings.WAGTAIL_SECURELINK_RATE_LIMIT_STORE = store
            messages += checks.check_rate_limit_store(None)
    assert {m.id for m in messages} == {
        f"wagtail_securelink.{i}"
        for i in ("E001", "E002", "E003", "E005", "E006", "E010")
    } | {"wagtail_securelink.W001", "wagtail_securelink.W002"}
    for message in messages:
        assert checks.DOCS_URL in message.hint, message.id
        assert ".md" not in message.hint and "docs/" not in message.hint, message.id


@override_settings(
    CACHES={"default": LOCMEM},
    WAGTAILADMIN_BASE_URL="http://example.com",
    WAGTAIL_SECURELINK_BASE_URL=None,
    STORAGES={
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    },
)
def test_a_wagtail_start_project_gets_no_message_of_ours():
    """`wagtail start`'s settings: LocMem default cache, no RATELIMIT_* settings,
    django_ratelimit not installed, no private storage of ours in STORAGES. The rate
    limits go to the database and the private files beside MEDIA_ROOT, silently."""
    from django.conf import settings

    assert not apps.is_installed("django_ratelimit")
    assert not any(name.startswith("RATELIMIT_") for name in dir(settings))
    ours = [
        m.id
        for m in run_checks(include_deployment_checks=False)
        if m.id.startswith(("wagtail_securelink.", "django_ratelimit."))
    ]
    assert ours == []


def test_app_order_that_hides_the_collection_buttons_is_a_warning(monkeypatch):
    """W003: listed after wagtail.admin, our collection edit template is never used.

    The app registry is given the other order directly: reloading it under
    ``override_settings(INSTALLED_APPS=…)`` would mount Wagtail's API routers twice."""
    assert checks.check_app_order(None) == []
    configs = [c for c in apps.get_app_configs() if c.name != "wagtail_securelink"]
    ours = apps.get_app_config("wagtail_securelink")
    names = [c.name for c in configs]
    configs.insert(names.index("wagtail.admin") + 1, ours)
    monkeypatch.setattr(apps, "get_app_configs", lambda: configs)
    [warning] = checks.check_app_order(None)
    assert warning.id == "wagtail_securelink.W003"
    assert "Move 'wagtail_securelink' above 'wagtail.admin'" in warning.hint
    assert "https://wagtail-securelink.readthedocs.io/" in warning.hint


def test_https_behind_a_proxy_without_the_ssl_header_warns_on_deploy(settings):
    settings.WAGTAIL_SECURELINK_BASE_URL = "https://docs.example.com"
    settings.SECURE_PROXY_SSL_HEADER = None
    settings.WAGTAIL_SECURELINK_TRUSTED_PROXIES = ["127.0.0.1"]
    messages = checks.check_proxy_ssl_header(None)
    assert _ids(messages) == ["wagtail_securelink.W006"]
    assert checks.DOCS_URL in messages[0].hint
    assert "wagtail_securelink.W006" in _ids(run_checks(include_deployment_checks=True))
    assert "wagtail_securelink.W006" not in _ids(run_checks())
    settings.WAGTAIL_SECURELINK_TRUSTED_PROXIES = []
    settings.USE_X_FORWARDED_HOST = True
    assert _ids(checks.check_proxy_ssl_header(None)) == ["wagtail_securelink.W006"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert checks.check_proxy_ssl_header(None) == []


def test_an_https_redirect_without_the_ssl_header_warns_without_proxy_settings(
    settings, monkeypatch
):
    """TLS at the proxy, no proxy setting at all, but SECURE_SSL_REDIRECT (or gunicorn's
    FORWARDED_ALLOW_IPS): the header is still missing."""
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    settings.WAGTAIL_SECURELINK_BASE_URL = "https://docs.example.com"
    settings.SECURE_PROXY_SSL_HEADER = None
    settings.WAGTAIL_SECURELINK_TRUSTED_PROXIES = []
    settings.USE_X_FORWARDED_HOST = False
    settings.SECURE_SSL_REDIRECT = True
    [warning] = checks.check_proxy_ssl_header(None)
    assert warning.id == "wagtail_securelink.W006"
    assert "SECURE_SSL_REDIRECT" in warning.msg
    settings.SECURE_SSL_REDIRECT = False
    assert checks.check_proxy_ssl_header(None) == []
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "127.0.0.1")
    assert "FORWARDED_ALLOW_IPS" in checks.check_proxy_ssl_header(None)[0].msg
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert checks.check_proxy_ssl_header(None) == []


def test_no_ssl_header_warning_without_a_proxy_or_over_plain_http(settings):
    settings.SECURE_PROXY_SSL_HEADER = None
    settings.SECURE_SSL_REDIRECT = False
    settings.WAGTAIL_SECURELINK_TRUSTED_PROXIES = []
    settings.WAGTAIL_SECURELINK_BASE_URL = "https://docs.example.com"
    assert checks.check_proxy_ssl_header(None) == []  # the WSGI server does TLS
    settings.WAGTAIL_SECURELINK_TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.WAGTAIL_SECURELINK_BASE_URL = "http://docs.example.com"
    assert checks.check_proxy_ssl_header(None) == []  # W002 says it already


def test_smtp_without_a_timeout_warns_on_deploy(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_TIMEOUT = None
    messages = checks.check_email_timeout(None)
    assert _ids(messages) == ["wagtail_securelink.W007"]
    assert checks.DOCS_URL in messages[0].hint
    settings.EMAIL_TIMEOUT = 10
    assert checks.check_email_timeout(None) == []
    settings.EMAIL_TIMEOUT = None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert checks.check_email_timeout(None) == []


def test_postgresql_without_contrib_postgres_is_an_error(monkeypatch):
    """E008: Django 6 refuses Wagtail's GinIndex without django.contrib.postgres."""
    from types import SimpleNamespace

    postgres = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "x"}}
    sqlite = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}}
    installed = apps.is_installed

    def without_postgres(name):
        return False if name == "django.contrib.postgres" else installed(name)

    monkeypatch.setattr(checks, "django_settings", SimpleNamespace(DATABASES=postgres))
    monkeypatch.setattr(checks.apps, "is_installed", without_postgres)
    [error] = checks.check_postgres_app(None)
    assert error.id == "wagtail_securelink.E008"
    assert "'django.contrib.postgres' to INSTALLED_APPS" in error.hint
    assert checks.DOCS_URL + "deployment/" in error.hint
    # SQLite needs nothing; PostgreSQL with the app installed neither.
    monkeypatch.setattr(checks, "django_settings", SimpleNamespace(DATABASES=sqlite))
    assert checks.check_postgres_app(None) == []
    monkeypatch.setattr(checks, "django_settings", SimpleNamespace(DATABASES=postgres))
    monkeypatch.setattr(checks.apps, "is_installed", installed)
    monkeypatch.setattr(
        checks.apps, "is_installed", lambda name: name == "django.contrib.postgres"
    )
    assert checks.check_postgres_app(None) == []


def test_w002_plain_http_base_url_is_reported_by_check_deploy_only():
    """W002 through Django's check framework: registered for ``check --deploy``, with
    the security tag; never in a plain ``check``; silent over HTTPS."""

    def reported(**options):
        return "wagtail_securelink.W002" in _ids(run_checks(**options))

    with override_settings(WAGTAIL_SECURELINK_BASE_URL="http://docs.example.com"):
        assert reported(include_deployment_checks=True)
        assert reported(include_deployment_checks=True, tags=["security"])
        assert not reported(include_deployment_checks=True, tags=["templates"])
        assert not reported()
    with override_settings(WAGTAIL_SECURELINK_BASE_URL="https://docs.example.com"):
        assert not reported(include_deployment_checks=True)


@pytest.mark.parametrize(
    "sender",
    [
        "webmaster@localhost",  # Django's default
        "Secure links <noreply@example.com>",
        "noreply@mail.example.org",
        "noreply@share.example.test",
        "noreply@intranet.local",
        "",
    ],
)
def test_a_placeholder_sender_warns_on_deploy(settings, sender):
    settings.DEFAULT_FROM_EMAIL = sender
    messages = checks.check_sender(None)
    assert _ids(messages) == ["wagtail_securelink.W008"]
    assert "SPF" in messages[0].hint
    ids = _ids(run_checks(include_deployment_checks=True))
    assert "wagtail_securelink.W008" in ids
    assert "wagtail_securelink.W008" not in _ids(run_checks())


@pytest.mark.parametrize(
    "sender", ["Intranet <noreply@university.ac.uk>", "codes@share.examplecorp.com"]
)
def test_a_real_sender_does_not_warn(settings, sender):
    settings.DEFAULT_FROM_EMAIL = sender
    assert checks.check_sender(None) == []


# -- the private storage: E009, W009 ----------------------------------------------------

PRIVATE_DISK = "wagtail_securelink.core.storage.PrivateFileSystemStorage"
BUCKET = "tests.checks.test_checks.BucketStorage"
STORAGE_IDS = ("wagtail_securelink.E009", "wagtail_securelink.W009")


class BucketStorage(Storage):
    """Stands in for django-storages' S3Storage: the public attributes the check reads."""

    def __init__(
        self,
        bucket_name="securelink-private",
        querystring_auth=True,
        default_acl=None,
        custom_domain=None,
    ):
        self.bucket_name = bucket_name
        self.querystring_auth = querystring_auth
        self.default_acl = default_acl
        self.custom_domain = custom_domain


def _storage_messages():
    return [m for m in run_checks(tags=["security"]) if m.id in STORAGE_IDS]


def _private(settings, backend, **options):
    settings.STORAGES = {
        **settings.STORAGES,
        "securelink": {"BACKEND": backend, "OPTIONS": options},
    }


def test_the_private_storage_of_the_tests_and_the_default_one_pass(settings):
    assert _storage_messages() == []
    settings.STORAGES = {
        name: config
        for name, config in settings.STORAGES.items()
        if name != "securelink"
    }
    assert _storage_messages() == []  # the folder beside MEDIA_ROOT
    _private(settings, BUCKET)
    assert _storage_messages() == []  # a bucket of its own, signed URLs


def test_a_private_storage_inside_media_root_warns(settings):
    _private(settings, PRIVATE_DISK, location=f"{settings.MEDIA_ROOT}/securelink")
    messages = _storage_messages()
    assert [m.id for m in messages] == ["wagtail_securelink.W009"]
    assert "inside MEDIA_ROOT" in messages[0].msg
    assert checks.DOCS_URL in messages[0].hint


@pytest.mark.parametrize(
    "case, words",
    [
        ("default alias", "default storage"),
        ("copy of default", "default storage"),
        ("static root", "inside STATIC_ROOT"),
        ("base url", "public base_url"),
        ("unsigned", "not signed"),
        ("public acl", "public-read"),
        ("custom domain", "custom_domain"),
        ("shared bucket", "shares the bucket"),
    ],
)
def test_a_private_storage_that_would_publish_its_files_warns(
    settings, tmp_path, case, words
):
    outside = str(tmp_path / "elsewhere")
    if case == "default alias":
        settings.WAGTAIL_SECURELINK_STORAGE = "default"
    elif case == "copy of default":
        settings.STORAGES = {
            **settings.STORAGES,
            "securelink": settings.STORAGES["default"],
        }
    elif case == "static root":
        settings.STATIC_ROOT = str(tmp_path / "static")
        _private(settings, PRIVATE_DISK, location=str(tmp_path / "static" / "private"))
    elif case == "base url":
        _private(
            settings,
            "django.core.files.storage.FileSystemStorage",
            location=outside,
            base_url="/private/",
        )
    elif case == "unsigned":
        _private(settings, BUCKET, querystring_auth=False)
    elif case == "public acl":
        _private(settings, BUCKET, default_acl="public-read")
    elif case == "custom domain":
        _private(settings, BUCKET, custom_domain="files.example.com")
    elif case == "shared bucket":
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": BUCKET, "OPTIONS": {"bucket_name": "site"}},
            "securelink": {
                "BACKEND": BUCKET,
                "OPTIONS": {"bucket_name": "site", "default_acl": "private"},
            },
        }
    messages = _storage_messages()
    assert [m.id for m in messages] == ["wagtail_securelink.W009"]
    assert words in messages[0].msg


def test_a_private_storage_that_cannot_be_found_is_an_error(settings):
    settings.WAGTAIL_SECURELINK_STORAGE = "private-bucket"
    messages = _storage_messages()
    assert [m.id for m in messages] == ["wagtail_securelink.E009"]
    assert "private-bucket" in messages[0].msg
    assert checks.DOCS_URL in messages[0].hint
    # Without MEDIA_ROOT there is no folder beside it to fall back to.
    settings.WAGTAIL_SECURELINK_STORAGE = "securelink"
    settings.STORAGES = {
        name: config
        for name, config in settings.STORAGES.items()
        if name != "securelink"
    }
    settings.MEDIA_ROOT = ""
    assert [m.id for m in _storage_messages()] == ["wagtail_securelink.E009"]
