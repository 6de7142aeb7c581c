"""Unit tests for ``wagtail_securelink.core.tokens``."""

import logging

import pytest
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from wagtail_securelink.core import tokens


def test_round_trip():
    key = tokens.new_link_key()
    assert len(key) == 22
    token = tokens.make_token(key)
    assert token.startswith(key + ".")
    assert tokens.key_from_token(token) == key


def test_token_is_url_safe():
    token = tokens.make_token(tokens.new_link_key())
    assert all(ch.isalnum() or ch in "-_." for ch in token)


def test_signature_depends_on_the_secret_key():
    key = tokens.new_link_key()
    token = tokens.make_token(key)
    with override_settings(SECRET_KEY="another-secret-key-for-this-test-0123456789"):
        assert tokens.make_token(key) != token
        assert tokens.key_from_token(token) is None


def test_fallback_keys_still_verify():
    key = tokens.new_link_key()
    old = tokens.make_token(key)
    with override_settings(
        SECRET_KEY="the-new-secret-key-0123456789-0123456789",
        SECRET_KEY_FALLBACKS=["tests-secret-key-not-for-production-0123456789abcdef"],
    ):
        assert tokens.key_from_token(old) == key
        assert tokens.make_token(key) != old  # new links are signed with the new key


@pytest.mark.parametrize(
    "token",
    [
        "",
        None,
        123,
        ".",
        "a" * 22,
        "a" * 22 + ".",
        "a" * 22 + "." + "b" * 43,  # well formed, wrong signature
        "a" * 21 + "." + "b" * 43,
        "a" * 22 + "." + "b" * 43 + "\n",
        "a" * 22 + ".." + "b" * 43,
        "a" * 10_000,
        "\x00" * 66,
        "🔑" * 30,
    ],
)
def test_bad_tokens_give_none_and_log_at_debug(token, caplog):
    with caplog.at_level(logging.DEBUG, logger="wagtail_securelink.core.tokens"):
        assert tokens.key_from_token(token) is None
    assert all(r.levelno == logging.DEBUG for r in caplog.records)
    assert caplog.records


@given(st.text(max_size=200))
def test_never_raises(value):
    assert tokens.key_from_token(value) is None


def test_keys_are_unique():
    assert len({tokens.new_link_key() for _ in range(1000)}) == 1000
