"""Erasure ends the sessions that hold the erased address (``securelink_erase``)."""

from io import StringIO

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client

from tests.factories import make_document, make_link, make_user
from tests.helpers import enter_code_url, landing_url, request_code, verify
from wagtail_securelink.operations.erasure import end_sessions
from wagtail_securelink.verification.requests import session_slot

pytestmark = pytest.mark.django_db
ALICE, BOB, MALLORY = "alice@example.com", "bob@example.org", "mallory@example.net"


def erase(address):
    out = StringIO()
    call_command("securelink_erase", address, stdout=out)
    return out.getvalue()


def holders(address):
    """The database sessions whose decoded data carries ``address`` anywhere."""
    return [
        s.session_key
        for s in Session.objects.all()
        if address in repr(s.get_decoded()).lower()
    ]


@pytest.fixture
def link(root_collection):
    return make_link(make_document(), [ALICE, BOB])


def test_erasure_ends_the_visitor_sessions_holding_the_address(link):
    asking, other, stranger, verified = Client(), Client(), Client(), Client()
    assert verify(verified, link, ALICE).status_code == 303
    request_code(asking, link, ALICE)  # a code asked for, not entered yet
    request_code(other, link, BOB)
    request_code(stranger, link, MALLORY)
    admin = Client()
    admin.force_login(make_user("admin", superuser=True))
    session = admin.session
    session[f"wagtail_securelink.invitations.{link.pk}"] = {
        "sent": [ALICE, BOB],
        "queued": [],
        "failed": [],
    }
    session.save()
    # Asking, the verified browser (offered a passkey for the address) and the admin.
    assert len(holders(ALICE)) == 3
    sessions_before = Session.objects.count()

    out = erase("Alice@Example.com")

    assert "3 sessions that held the address ended or cleaned" in out
    assert holders(ALICE) == []
    # The visitor's session is gone: the code page no longer names the address.
    assert asking.session.get(session_slot(link)) is None
    page = asking.get(enter_code_url(link))
    assert ALICE.encode() not in page.content
    # The admin stays signed in; only the address's value is dropped.
    assert Session.objects.count() == sessions_before - 2
    assert admin.get("/admin/").status_code == 200
    assert "wagtail_securelink.invitations." not in repr(admin.session.items())
    # Other people's sessions are untouched.
    assert other.session[session_slot(link)]["email"] == BOB
    assert stranger.session[session_slot(link)]["email"] == MALLORY
    # The verified browser's access ended with its grant, and with it the offer to
    # save a passkey for the erased address.
    assert b"Confirm your email address" in verified.get(landing_url(link)).content


def test_sessions_are_read_in_bounded_batches(link, django_assert_max_num_queries):
    clients = [Client() for _ in range(5)]
    for client in clients:
        request_code(client, link, MALLORY)
    request_code(Client(), link, BOB)
    # 6 sessions read one at a time: 7 page queries, and per match a load and a delete.
    with django_assert_max_num_queries(7 + 5 * 3):
        assert end_sessions(MALLORY, batch=1) == 5
    assert holders(MALLORY) == []
    assert len(holders(BOB)) == 1


def test_expired_sessions_are_not_read(link):
    client = Client()
    request_code(client, link, MALLORY)
    Session.objects.update(expire_date="2000-01-01T00:00:00Z")
    assert end_sessions(MALLORY) == 0


@pytest.mark.parametrize(
    "engine",
    [
        "django.contrib.sessions.backends.cache",
        "django.contrib.sessions.backends.signed_cookies",
    ],
)
def test_sessions_outside_the_database_are_said_to_be_unsearchable(
    link, settings, engine
):
    settings.SESSION_ENGINE = engine
    assert "Sessions are not in the database" in erase(ALICE)


def test_cached_db_sessions_are_ended_in_the_cache_too(link, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    client = Client()
    request_code(client, link, MALLORY)
    assert client.session[session_slot(link)]["email"] == MALLORY
    assert "1 session that held the address" in erase(MALLORY)
    assert client.session.get(session_slot(link)) is None
