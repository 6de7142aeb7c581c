"""A proxy missing from TRUSTED_PROXIES: every visitor counts as it, and the first such
request says so in the log (once per address); W010 catches an empty list behind a
proxy; the example site's production settings trust the shipped nginx."""

import logging
import re
from pathlib import Path

import pytest
from django.test import Client, override_settings

from tests.factories import make_document, make_link
from tests.helpers import send_code_url
from wagtail_securelink import checks
from wagtail_securelink.core import clients

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
NGINX = "127.0.0.1"  # where the shipped nginx connects from (its upstream is local)


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch):
    monkeypatch.setattr(clients, "_UNTRUSTED_WARNED", set())


def send(link, visitor_ip):
    return Client(REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR=visitor_ip).post(
        send_code_url(link), {"email": "someone@example.com"}
    )


@override_settings(
    WAGTAIL_SECURELINK_RATE_SEND_PER_NETWORK="1/h",
    WAGTAIL_SECURELINK_RATE_SEND_PER_LINK="1000/h",
)
@pytest.mark.parametrize("trusted", [[], [NGINX]])
def test_an_untrusted_proxy_makes_the_limits_site_wide_and_says_so(
    root_collection, caplog, settings, trusted
):
    settings.WAGTAIL_SECURELINK_TRUSTED_PROXIES = trusted
    link = make_link(make_document(), ["someone@example.com"])
    with caplog.at_level(logging.WARNING, logger="wagtail_securelink.core.clients"):
        assert send(link, "203.0.113.9").status_code == 303
        second_visitor = send(link, "198.51.100.7").status_code
        send(link, "192.0.2.1")
    warnings = [r.getMessage() for r in caplog.records if r.name == clients.logger.name]
    if trusted:
        assert second_visitor == 303  # another visitor, another network
        assert warnings == []
    else:
        assert second_visitor == 429  # the first visitor's limit was everyone's
        assert len(warnings) == 1  # once per address and process
        assert f"A request from {NGINX} carries X-Forwarded-For" in warnings[0]
        assert "WAGTAIL_SECURELINK_TRUSTED_PROXIES" in warnings[0]


def test_the_warnings_are_bounded(caplog):
    from django.test import RequestFactory

    with caplog.at_level(logging.WARNING, logger="wagtail_securelink.core.clients"):
        for n in range(50):
            request = RequestFactory().get(
                "/", REMOTE_ADDR=f"192.0.2.{n}", HTTP_X_FORWARDED_FOR="198.51.100.1"
            )
            clients.client_ip(request)
    ours = [r for r in caplog.records if r.name == clients.logger.name]
    assert len(ours) == clients._UNTRUSTED_WARN_MAX


def test_w010_behind_a_proxy_with_no_trusted_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.WAGTAIL_SECURELINK_TRUSTED_PROXIES = []
    [warning] = checks.check_trusted_proxies(None)
    assert warning.id == "wagtail_securelink.W010"
    settings.WAGTAIL_SECURELINK_TRUSTED_PROXIES = [NGINX]
    assert checks.check_trusted_proxies(None) == []
    settings.SECURE_PROXY_SSL_HEADER = None
    settings.WAGTAIL_SECURELINK_TRUSTED_PROXIES = []
    assert checks.check_trusted_proxies(None) == []  # no sign of a proxy


def test_one_trusted_proxy_story_in_docs_settings_and_nginx():
    shipped = (ROOT / "deploy" / "nginx" / "securelink.conf").read_text()
    upstream = re.search(r"upstream securelink_app \{\n    server ([\d.]+):", shipped)
    assert upstream.group(1) == NGINX  # gunicorn on this host: nginx connects from it
    production = (
        ROOT / "example_site" / "example_site" / "settings_production.py"
    ).read_text()
    assert '"TRUSTED_PROXIES", ["127.0.0.1", "::1"]' in production
    deployment = (ROOT / "docs" / "deployment.md").read_text()
    assert "--forwarded-allow-ips 127.0.0.1" in deployment
    assert "10.0.0.5" not in deployment
