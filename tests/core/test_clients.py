"""Unit tests for ``wagtail_securelink.core.clients`` (S6)."""

import pytest
from django.test import RequestFactory, override_settings

from wagtail_securelink.core.clients import (
    anonymise_ip,
    client_ip,
    client_network,
    user_agent,
)

PROXIES = ["10.0.0.0/8", "2001:db8:ffff::1"]


def req(remote="203.0.113.7", xff=None, **meta):
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().get("/", REMOTE_ADDR=remote, **meta)


def test_without_trusted_proxy_the_header_is_ignored():
    assert client_ip(req("203.0.113.7", "198.51.100.1")) == "203.0.113.7"
    assert client_ip(req("10.0.0.2", "198.51.100.1")) == "10.0.0.2"


@override_settings(WAGTAIL_SECURELINK_TRUSTED_PROXIES=PROXIES)
@pytest.mark.parametrize(
    ("remote", "xff", "expected"),
    [
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),
        # The client prepends a spoofed hop; the proxy appends the real peer.
        ("10.0.0.2", "1.2.3.4, 198.51.100.1", "198.51.100.1"),
        # Two trusted proxies in a row: skip both.
        ("10.0.0.2", "1.2.3.4, 198.51.100.1, 10.1.1.1", "198.51.100.1"),
        # An untrusted peer's header is not believed at all.
        ("203.0.113.7", "1.2.3.4", "203.0.113.7"),
        # No header behind a proxy: the proxy is the best we know.
        ("10.0.0.2", None, "10.0.0.2"),
        ("10.0.0.2", "", "10.0.0.2"),
        # A garbage hop where the proxy should have written one: stop at the proxy.
        ("10.0.0.2", "1.2.3.4, not-an-ip", "10.0.0.2"),
        ("10.0.0.2", "198.51.100.1, 10.1.1.1, garbage", "10.0.0.2"),
        # Every hop trusted: the left-most trusted one.
        ("10.0.0.2", "10.3.3.3, 10.2.2.2", "10.3.3.3"),
        # IPv6 proxy.
        ("2001:db8:ffff::1", "2001:db8:1::5", "2001:db8:1::5"),
    ],
)
def test_right_most_untrusted_hop_is_the_client(remote, xff, expected):
    assert client_ip(req(remote, xff)) == expected


@override_settings(WAGTAIL_SECURELINK_TRUSTED_PROXIES=["not a network", "10.0.0.0/8"])
def test_invalid_proxy_entries_are_skipped():
    assert client_ip(req("10.0.0.2", "198.51.100.1")) == "198.51.100.1"


def test_missing_or_bad_remote_addr():
    assert client_ip(req("")) == "0.0.0.0"
    assert client_ip(req("garbage")) == "0.0.0.0"


@pytest.mark.parametrize(
    ("remote", "network"),
    [
        ("203.0.113.7", "203.0.113.0/24"),
        ("203.0.113.250", "203.0.113.0/24"),
        ("2001:db8:1:2:3::4", "2001:db8:1::/48"),
        ("::ffff:203.0.113.7", "203.0.113.0/24"),
    ],
)
def test_client_network(remote, network):
    assert client_network(req(remote)) == network


@override_settings(
    WAGTAIL_SECURELINK_IPV4_NETWORK_PREFIX=32,
    WAGTAIL_SECURELINK_IPV6_NETWORK_PREFIX=64,
)
def test_network_prefixes_are_settings():
    assert client_network(req("203.0.113.7")) == "203.0.113.7/32"
    assert client_network(req("2001:db8:1:2:3::4")) == "2001:db8:1:2::/64"


@pytest.mark.parametrize(
    ("ip", "stored"),
    [
        ("203.0.113.77", "203.0.113.0"),
        ("2001:db8:1:2:3::4", "2001:db8:1::"),
        ("::ffff:203.0.113.7", "203.0.113.0"),
        ("nonsense", ""),
    ],
)
def test_anonymise_ip(ip, stored):
    assert anonymise_ip(ip) == stored


def test_user_agent_is_truncated():
    assert user_agent(req(HTTP_USER_AGENT="x" * 2000)) == "x" * 512
    assert user_agent(req()) == ""


def test_user_agent_keeps_printable_characters_only():
    """A NUL or control character in User-Agent never reaches a stored text field
    (PostgreSQL refuses NUL: a 500 otherwise)."""
    from django.test import RequestFactory

    from wagtail_securelink.core.clients import user_agent

    request = RequestFactory().get("/", HTTP_USER_AGENT="Mozilla\x00/5.0\r\n\x1b[31m")
    assert user_agent(request) == "Mozilla/5.0[31m"
