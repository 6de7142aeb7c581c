"""Fixtures and helpers shared by the security requirement tests (SPEC §7)."""

import re

import pytest
from django.core import mail
from django.core.cache.backends.base import BaseCache
from django.test import Client

from tests.factories import make_document, make_link
from tests.helpers import CODE_RE, download_url, landing_url

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
def draft_page(db):
    """A published page ("Published title") whose latest draft is "Draft title v1"."""
    from wagtail.models import Page

    root = Page.get_first_root_node()
    section = root.add_child(instance=Page(title="Section", slug="section"))
    page = section.add_child(instance=Page(title="Published title", slug="news"))
    page.save_revision().publish()
    page.refresh_from_db()
    page.title = DRAFT_TITLE
    page.save_revision()
    return Page.objects.get(pk=page.pk)


@pytest.fixture
def page_link(draft_page):
    """A page preview link (issue 31) for the same two reviewers as ``link``."""
    return make_link(draft_page, [ALICE, BOB], role="view")


@pytest.fixture(params=["document", "page"])
def any_link(request):
    """The test once on a document link and once on a page preview link: every
    S-requirement that applies to a document link applies to a page link."""
    return request.getfixturevalue(
        "link" if request.param == "document" else "page_link"
    )


@pytest.fixture(params=["document", "page"])
def any_target(request):
    """A document, then a page with a draft: what ``link_to`` shares."""
    if request.param == "page":
        return request.getfixturevalue("draft_page")
    return request.getfixturevalue("document")


def link_to(target, recipients, **kwargs):
    """A link to ``target`` of a kind it takes (a page preview is view-only)."""
    from wagtail.models import Page

    if isinstance(target, Page):
        kwargs.setdefault("role", "view")
    return make_link(target, recipients, **kwargs)


def like(link, recipients, **kwargs):
    """Another link to ``link``'s target."""
    return link_to(link.target, recipients, **kwargs)


DRAFT_TITLE = "Draft title v1"
# Only the preview itself carries the banner; the code pages never do.
PREVIEW_MARK = b"data-securelink-preview-banner"


def shows_item(client, link, **extra) -> bool:
    """Whether ``client`` gets the shared item itself: a document's file, a page's
    rendered draft (under its banner)."""
    if link.target_type == "page":
        response = client.get(landing_url(link), **extra)
        shown = PREVIEW_MARK in response.content
        assert shown is (DRAFT_TITLE.encode() in response.content)
        return response.status_code == 200 and shown
    return client.get(download_url(link), **extra).status_code == 200


def item_mark(link) -> bytes:
    """What the landing page shows only to a visitor with access."""
    return PREVIEW_MARK if link.target_type == "page" else b"Download"


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
