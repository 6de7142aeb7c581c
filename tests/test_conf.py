"""conf.py: the package's own settings, and the one accessor for other apps' settings."""

from django.test import override_settings

from wagtail_securelink import conf


def test_own_settings_are_reloaded_when_changed():
    with override_settings(WAGTAIL_SECURELINK_COOKIE_NAME="other"):
        assert conf.settings.COOKIE_NAME == "other"
    assert conf.settings.COOKIE_NAME == conf.DEFAULTS["COOKIE_NAME"]


def test_base_url_falls_back_to_wagtailadmin_base_url(settings):
    settings.WAGTAIL_SECURELINK_BASE_URL = None
    settings.WAGTAILADMIN_BASE_URL = "https://cms.example.com/"
    assert conf.settings.base_url == "https://cms.example.com"
    settings.WAGTAIL_SECURELINK_BASE_URL = "https://docs.example.com/prefix/"
    assert conf.settings.base_url == "https://docs.example.com/prefix"
