"""API v3 exists from Wagtail 8: on Wagtail 7.4 the app must start without it."""

import sys

from django.apps import apps
from wagtail import VERSION as WAGTAIL_VERSION

from wagtail_securelink import apps as app_module


def _ready_with(monkeypatch, version):
    calls = []
    monkeypatch.setattr(app_module, "WAGTAIL_VERSION", version)
    if version < (8, 0):
        # As on Wagtail 7.4: any import of API v3 or of our API package fails.
        for name in (
            "wagtail.api.v3",
            "wagtail.api.v3.api",
            "wagtail_securelink.api.mount",
        ):
            monkeypatch.setitem(sys.modules, name, None)
    else:
        import wagtail_securelink.api.mount as mount

        monkeypatch.setattr(mount, "mount_api", lambda: calls.append("mounted"))
    apps.get_app_config("wagtail_securelink").ready()
    return calls


def test_wagtail_74_starts_without_api_v3(monkeypatch):
    assert _ready_with(monkeypatch, (7, 4, 4, "final", 1)) == []


def test_wagtail_8_mounts_the_routers(monkeypatch):
    if WAGTAIL_VERSION < (8, 0):
        return
    assert _ready_with(monkeypatch, (8, 0, 1, "final", 1)) == ["mounted"]


def test_mount_api_twice_adds_nothing():
    if WAGTAIL_VERSION < (8, 0):
        return
    from wagtail.api.v3.api import api

    from wagtail_securelink.api.mount import mount_api

    before = len(api._routers)
    mount_api()
    assert len(api._routers) == before
