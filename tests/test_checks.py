"""System checks for unsafe configuration."""

from django.apps import apps

from wagtail_securelink.checks import (
    check_app_order,
    check_base_url,
    check_rate_limit_cache,
)


def test_fail_open_rate_limits_are_refused(settings):
    settings.RATELIMIT_FAIL_OPEN = True
    assert [e.id for e in check_rate_limit_cache(None)] == ["wagtail_securelink.E004"]


def test_missing_base_url_is_an_error(settings):
    settings.WAGTAIL_SECURELINK_BASE_URL = None
    settings.WAGTAILADMIN_BASE_URL = ""
    assert [e.id for e in check_base_url(None)] == ["wagtail_securelink.E001"]
    settings.WAGTAIL_SECURELINK_BASE_URL = "ftp://example.com"
    assert [e.id for e in check_base_url(None)] == ["wagtail_securelink.E002"]


def test_app_order_that_hides_the_collection_buttons_is_a_warning(monkeypatch):
    """W003: listed after wagtail.admin, our collection edit template is never used.

    The app registry is given the other order directly: reloading it under
    ``override_settings(INSTALLED_APPS=…)`` would mount Wagtail's API routers twice."""
    assert check_app_order(None) == []
    configs = [c for c in apps.get_app_configs() if c.name != "wagtail_securelink"]
    ours = apps.get_app_config("wagtail_securelink")
    names = [c.name for c in configs]
    configs.insert(names.index("wagtail.admin") + 1, ours)
    monkeypatch.setattr(apps, "get_app_configs", lambda: configs)
    [warning] = check_app_order(None)
    assert warning.id == "wagtail_securelink.W003"
    assert "Move 'wagtail_securelink' above 'wagtail.admin'" in warning.hint
    assert "https://wagtail-securelink.readthedocs.io/" in warning.hint
