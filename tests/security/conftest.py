"""Fixtures and helpers shared by the security requirement tests (SPEC §7)."""

import re

import pytest
from django.core import mail
from django.core.cache.backends.base import BaseCache
from django.test import Client

from tests.factories import make_document, make_link
from tests.helpers import CODE_RE

ALICE = "alice@example.com"
BOB = "bob@example.org"

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def without_csrf(html: str) -> str:
    return _CSRF.sub('name="csrfmiddlewaretoken" value=""', html)


def code_mails(to=None) -> list:
    """The code emails sent so far (not the notices to the sharer), optionally to one address."""
    return [
        m for m in mail.outbox if CODE_RE.search(m.body) and (to is None or to in m.to)
    ]


def wrong_code(right: str) -> str:
    return "0" * len(right) if right != "0" * len(right) else "1" * len(right)


@pytest.fixture
def document(root_collection):
    return make_document()


@pytest.fixture
def link(document):
    return make_link(document, [ALICE, BOB])


@pytest.fixture
def other_client():
    return Client()


class BrokenCache(BaseCache):
    """A cache whose server is down: every read or write raises."""

    def __init__(self, location=None, params=None):
        super().__init__(params or {})

    def _down(self, *args, **kwargs):
        raise ConnectionError("cache server unreachable")

    add = get = set = touch = delete = incr = decr = get_many = set_many = _down
    has_key = _down

    def clear(self):
        pass

    def close(self, **kwargs):
        pass


BROKEN_CACHES = {
    "default": {"BACKEND": "tests.security.conftest.BrokenCache"},
}
# The rate limits explicitly kept in that cache ("auto" would pass over an unknown
# backend for the database): override_settings(**BROKEN_STORE).
BROKEN_STORE = {
    "CACHES": BROKEN_CACHES,
    "WAGTAIL_SECURELINK_RATE_LIMIT_STORE": "default",
}
