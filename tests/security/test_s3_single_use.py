"""S3: a code lives for the code lifetime, is used at most once (even under concurrent
submissions), dies after the wrong-try limit and when a new code is sent, and works only
in the browser session that asked for it."""

import datetime
import threading
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from tests.helpers import (
    enter_code_url,
    landing_url,
    last_code,
    request_code,
    verified,
)
from tests.security.conftest import ALICE, code_mails, item_mark, wrong_code
from wagtail_securelink.models import Grant, SecureLinkPolicy, VerificationCode
from wagtail_securelink.verification import codes

MALLORY = "mallory@example.net"
LIFETIME = datetime.timedelta(minutes=10)  # the policy's default


@pytest.mark.django_db
@pytest.mark.parametrize(("offset", "accepted"), [(-1, True), (+1, False)])
def test_code_lives_for_the_code_lifetime(client, any_link, offset, accepted):
    """S3: accepted one second before the lifetime ends, refused one second after."""
    link = any_link
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        request_code(client, link, ALICE)
    code = last_code(ALICE)
    with time_machine.travel(start + LIFETIME + datetime.timedelta(seconds=offset)):
        response = client.post(enter_code_url(link), {"code": code})
    assert (response.status_code == 303) is accepted
    assert Grant.objects.exists() is accepted
    if not accepted:
        assert b"can no longer be used" in response.content


@pytest.mark.django_db
def test_lifetime_follows_the_policy(client, link):
    """S3: the administrator's code lifetime is the one applied."""
    policy = SecureLinkPolicy.load()
    policy.code_lifetime_minutes = 2
    policy.save()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        request_code(client, link, ALICE)
    with time_machine.travel(start + datetime.timedelta(minutes=2, seconds=1)):
        response = client.post(enter_code_url(link), {"code": last_code(ALICE)})
    assert response.status_code == 400
    assert not Grant.objects.exists()


@pytest.mark.django_db
def test_code_is_used_at_most_once(client, any_link, other_client):
    """S3: a code that opened a grant opens nothing more, even in the same browser."""
    link = any_link
    request_code(client, link, ALICE)
    code = last_code(ALICE)
    assert client.post(enter_code_url(link), {"code": code}).status_code == 303
    # The session that asked is gone (its key rotated), and the code row is spent.
    request_code(other_client, link, ALICE)  # within the cooldown: no new code
    assert other_client.post(enter_code_url(link), {"code": code}).status_code == 400
    assert Grant.objects.count() == 1
    assert VerificationCode.objects.get().used_at is not None


@pytest.mark.django_db
def test_a_new_code_kills_the_old_one(client, any_link):
    """S3: once a new code is sent, the previous one no longer works."""
    link = any_link
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        request_code(client, link, ALICE)
        first = last_code(ALICE)
    with time_machine.travel(start + datetime.timedelta(seconds=61), tick=False):
        request_code(client, link, ALICE)
        second = last_code(ALICE)
        assert first != second
        response = client.post(enter_code_url(link), {"code": first})
        assert response.status_code == 400
        assert not Grant.objects.exists()
        assert client.post(enter_code_url(link), {"code": second}).status_code == 303


@pytest.mark.django_db
def test_a_new_code_from_another_browser_kills_the_old_one(client, link, other_client):
    """S3: a code sent to browser B for the same address kills the one browser A holds."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        request_code(client, link, ALICE)
        first = last_code(ALICE)
    with time_machine.travel(start + datetime.timedelta(seconds=61), tick=False):
        request_code(other_client, link, ALICE)
        assert len(mail.outbox) == 2
        response = client.post(enter_code_url(link), {"code": first})
        assert response.status_code == 400
        assert not Grant.objects.exists()


@pytest.mark.django_db
def test_code_works_only_in_the_browser_that_asked(client, any_link, other_client):
    """S3: browser B, same address, cannot use the code emailed for browser A."""
    link = any_link
    request_code(client, link, ALICE)
    code = last_code(ALICE)
    request_code(other_client, link, ALICE)  # B asks too (within the cooldown)
    response = other_client.post(enter_code_url(link), {"code": code})
    assert response.status_code == 400
    assert not Grant.objects.exists()
    # B's failure did not kill A's code: it still opens the link in A.
    assert client.post(enter_code_url(link), {"code": code}).status_code == 303
    assert item_mark(link) in client.get(landing_url(link)).content
    assert b"Confirm your email address" in other_client.get(landing_url(link)).content
    assert item_mark(link) not in other_client.get(landing_url(link)).content


@pytest.mark.django_db
def test_a_forwarded_code_without_a_session_is_useless(any_link, other_client):
    """S3: a browser that never asked for a code has nothing to enter it against."""
    link = any_link
    request_code(Client(), link, ALICE)
    response = other_client.post(enter_code_url(link), {"code": last_code(ALICE)})
    assert response.status_code == 302
    assert not Grant.objects.exists()


@pytest.mark.django_db
def test_a_forwarded_link_asks_for_a_code_that_goes_only_to_a_listed_address(
    client, any_link
):
    """S3 (SPEC §3 step 5): a forwarded link behaves like a new browser. The grant
    cookie does not come along, an unlisted forwarder gets no code, and the code for
    the listed address goes to that mailbox, useless in the forwarder's browser."""
    link = any_link
    policy = SecureLinkPolicy.load()
    policy.resend_cooldown_seconds = 0
    policy.save()
    verified(client, link, ALICE)
    assert item_mark(link) in client.get(landing_url(link)).content
    forwarded = Client()
    page = forwarded.get(landing_url(link))
    assert page.status_code == 200
    assert b"Confirm your email address" in page.content
    assert item_mark(link) not in page.content
    mail.outbox.clear()
    assert request_code(forwarded, link, MALLORY).status_code == 303
    assert code_mails() == []
    assert request_code(forwarded, link, ALICE).status_code == 303
    assert [m.to for m in code_mails()] == [[ALICE]]
    assert all(MALLORY not in m.to for m in mail.outbox)
    # The forwarder holds no code; one lifted from the mailbox does not fit their
    # browser's request either, once another browser asked.
    thief = Client()
    request_code(thief, link, MALLORY)
    assert thief.post(enter_code_url(link), {"code": last_code(ALICE)}).status_code in (
        302,
        400,
    )
    assert item_mark(link) not in thief.get(landing_url(link)).content
    assert Grant.objects.filter(ended_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_code_dies_after_the_wrong_try_limit(client, any_link):
    """S3: after ``code_max_attempts`` wrong tries the right code is refused too."""
    link = any_link
    policy = SecureLinkPolicy.load()
    policy.code_max_attempts = 3
    policy.save()
    request_code(client, link, ALICE)
    right = last_code(ALICE)
    for _ in range(3):
        assert (
            client.post(enter_code_url(link), {"code": wrong_code(right)}).status_code
            == 400
        )
    response = client.post(enter_code_url(link), {"code": right})
    assert response.status_code == 400
    assert b"can no longer be used" in response.content
    assert VerificationCode.objects.get().attempts == 3
    assert not Grant.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_right_answers_make_exactly_one_grant(link, client):
    """S3: ten threads (own DB connections) submit the right code at once: one grant.

    A barrier inside the code comparison (a spy that calls the real function) holds
    every request until all ten have read the unused code row, so the race the
    conditional UPDATE must win is open every time, not only when the scheduler
    happens to interleave the threads.
    """
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "needs a database that several connections can write to at once: "
            "set DATABASES['default']['TEST']['NAME'] to a file for SQLite"
        )
    request_code(client, link, ALICE)
    code = last_code(ALICE)
    barrier = threading.Barrier(10, timeout=10)
    real_matches = codes.matches

    def matches_when_all_have_read(*args):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass  # a thread that never got here is reported below
        return real_matches(*args)

    statuses, errors = [], []

    def submit():
        browser = Client()
        browser.cookies = client.cookies  # the same browser session, ten tabs at once
        try:
            statuses.append(
                browser.post(enter_code_url(link), {"code": code}).status_code
            )
        except Exception as exc:  # reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    with mock.patch.object(codes, "matches", matches_when_all_have_read):
        threads = [threading.Thread(target=submit) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert not barrier.broken
    assert errors == []
    assert sorted(statuses) == [303] + [400] * 9
    assert Grant.objects.count() == 1
    assert VerificationCode.objects.filter(used_at__isnull=False).count() == 1
