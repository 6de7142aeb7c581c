"""System checks for unsafe configuration."""

from wagtail_securelink.checks import check_base_url, check_rate_limit_cache


def test_fail_open_rate_limits_are_refused(settings):
    settings.RATELIMIT_FAIL_OPEN = True
    assert [e.id for e in check_rate_limit_cache(None)] == ["wagtail_securelink.E004"]


def test_missing_base_url_is_an_error(settings):
    settings.WAGTAIL_SECURELINK_BASE_URL = None
    settings.WAGTAILADMIN_BASE_URL = ""
    assert [e.id for e in check_base_url(None)] == ["wagtail_securelink.E001"]
    settings.WAGTAIL_SECURELINK_BASE_URL = "ftp://example.com"
    assert [e.id for e in check_base_url(None)] == ["wagtail_securelink.E002"]
