"""S4: after the consecutive-failure limit the recipient is locked on that link until an
editor unlocks; sending a new code does not reset the count; a right code does."""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page

from tests.factories import make_user
from tests.helpers import enter_code_url, landing_url, last_code, request_code, verify
from tests.security.conftest import (
    ALICE,
    BOB,
    code_mails,
    item_mark,
    like,
    without_csrf,
    wrong_code,
)
from tests.sharing.test_page_links import page_editor
from wagtail_securelink import services
from wagtail_securelink.models import (
    AccessEvent,
    Grant,
    Recipient,
    SecureLinkPolicy,
    VerificationCode,
)

pytestmark = pytest.mark.django_db

UNLISTED = "mallory@example.net"


def _policy(**fields):
    policy = SecureLinkPolicy.load()
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.full_clean()  # the values stay within the policy's own bounds
    policy.save()
    return policy


@pytest.fixture
def fast_policy(db):
    """The lowest threshold the policy allows, 5 tries per code, no resend cooldown."""
    return _policy(lockout_threshold=10, code_max_attempts=5, resend_cooldown_seconds=0)


def _recipient(link, email=ALICE) -> Recipient:
    return Recipient.objects.get(link=link, email=email)


def _fail(client, link, email, times):
    """Ask for a new code in ``client`` and type ``times`` wrong ones."""
    assert request_code(client, link, email).status_code == 303
    right = last_code(email)
    for _ in range(times):
        response = client.post(enter_code_url(link), {"code": wrong_code(right)})
        assert response.status_code == 400
    return right


def test_threshold_consecutive_failures_lock_the_recipient(
    client, any_link, fast_policy
):
    """S4: failures add up across codes; the threshold-th one locks, not one before."""
    link = any_link
    _fail(client, link, ALICE, 5)
    assert _recipient(link).failure_count == 5
    _fail(client, link, ALICE, 4)
    alice = _recipient(link)
    assert (alice.failure_count, alice.locked_at) == (9, None)
    client.post(enter_code_url(link), {"code": "000000"})  # the 10th, whatever it is
    alice = _recipient(link)
    assert alice.locked_at is not None
    assert AccessEvent.objects.filter(event="code_locked", recipient=alice).count() == 1
    # Bob, on the same link, and Alice on another link are not locked.
    assert _recipient(link, BOB).locked_at is None
    other = like(link, [ALICE])
    assert verify(Client(), other, ALICE).status_code == 303


def test_a_new_code_does_not_reset_the_count(client, link, fast_policy):
    """S4: asking for a new code (even from a fresh browser) keeps the failures."""
    _fail(client, link, ALICE, 5)
    assert request_code(Client(), link, ALICE).status_code == 303
    assert len(code_mails(ALICE)) == 2
    assert _recipient(link).failure_count == 5
    _fail(Client(), link, ALICE, 5)
    assert _recipient(link).locked_at is not None


def test_a_locked_recipient_cannot_verify_even_with_the_right_code(
    client, any_link, fast_policy
):
    """S4: once locked, the code in hand is refused and no new code is emailed."""
    link = any_link
    _fail(client, link, ALICE, 5)
    _fail(client, link, ALICE, 4)
    # A third code, then the 10th failure locks while it is alive.
    assert request_code(client, link, ALICE).status_code == 303
    right = last_code(ALICE)
    client.post(enter_code_url(link), {"code": wrong_code(right)})
    assert _recipient(link).locked_at is not None
    response = client.post(enter_code_url(link), {"code": right})
    assert response.status_code == 400
    assert not Grant.objects.exists()
    sent = len(code_mails(ALICE))
    assert request_code(Client(), link, ALICE).status_code == 303
    assert len(code_mails(ALICE)) == sent


def test_locked_and_unlisted_get_the_same_answers(any_link, fast_policy):
    """S4 with S7: a recipient locked by real failures is answered as an unlisted one."""
    link = any_link
    _fail(Client(), link, ALICE, 5)
    _fail(Client(), link, ALICE, 5)
    assert _recipient(link).locked_at is not None

    def answers(email):
        browser = Client()
        sent = request_code(browser, link, email)
        page = browser.get(enter_code_url(link))
        wrong = browser.post(enter_code_url(link), {"code": "123456"})

        def clean(response):
            text = without_csrf(response.content.decode())
            return response.status_code, text.replace(email, "ADDRESS")

        return (sent.status_code, sent["Location"]), clean(page), clean(wrong)

    before = len(code_mails())
    assert answers(ALICE) == answers(UNLISTED)
    assert len(code_mails()) == before


def test_locking_ends_an_open_grant(client, any_link, fast_policy):
    """S4 with S9: a browser that verified before the lock loses access on its next request."""
    link = any_link
    assert verify(client, link, ALICE).status_code == 303
    assert item_mark(link) in client.get(landing_url(link)).content
    attacker = Client()
    _fail(attacker, link, ALICE, 5)
    _fail(attacker, link, ALICE, 5)
    page = client.get(landing_url(link))
    assert b"Confirm your email address" in page.content
    assert item_mark(link) not in page.content
    assert Grant.objects.get().end_reason == "locked"


def test_an_editor_unlocks_and_the_visitor_verifies(client, any_link, fast_policy):
    """S4: the Manage access *Unlock* action clears the lock and the count."""
    link = any_link
    _fail(Client(), link, ALICE, 5)
    _fail(Client(), link, ALICE, 5)
    alice = _recipient(link)
    assert alice.locked_at is not None
    editor = Client()
    editor.force_login(make_user("boss", superuser=True))
    response = editor.post(
        reverse("wagtail_securelink_admin:unlock_recipient", args=[alice.pk])
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.locked_at, alice.failure_count) == (None, 0)
    assert AccessEvent.objects.filter(event="recipient_unlocked").exists()
    assert verify(client, link, ALICE).status_code == 303
    assert item_mark(link) in client.get(landing_url(link)).content


def test_a_right_code_resets_the_consecutive_count(client, link, fast_policy):
    """S4: only *consecutive* failures count: a success in between starts again at 0."""
    right = _fail(client, link, ALICE, 4)
    assert _recipient(link).failure_count == 4
    assert client.post(enter_code_url(link), {"code": right}).status_code == 303
    assert _recipient(link).failure_count == 0
    browser = Client()
    _fail(browser, link, ALICE, 5)
    _fail(browser, link, ALICE, 4)
    assert _recipient(link).locked_at is None


# -- the real default, through the service layer and real rows ----------------------------


def _visitor_request():
    request = RequestFactory().post("/", REMOTE_ADDR="198.51.100.7")
    request.session = SessionStore()
    request.user = AnonymousUser()
    return request


def test_the_default_threshold_is_100_consecutive_failures(
    link, django_capture_on_commit_callbacks
):
    """S4: with the policy's defaults (100 failures, 5 tries per code, 60 s cooldown,
    5 codes an hour) the 100th consecutive failure locks, the 99th does not."""
    policy = SecureLinkPolicy.load()
    assert (policy.lockout_threshold, policy.code_max_attempts) == (100, 5)
    alice = _recipient(link)
    start = timezone.now()
    failures = 0
    for n in range(20):  # 20 codes × 5 tries
        # One code an hour keeps within the cooldown and the hourly cap.
        with time_machine.travel(start + datetime.timedelta(hours=n), tick=False):
            request = _visitor_request()
            with django_capture_on_commit_callbacks(execute=True):
                services.request_code(link, ALICE, request)
            right = last_code(ALICE)
            for _ in range(5):
                outcome = services.verify_code(link, request, wrong_code(right))
                assert not outcome.ok
                failures += 1
                alice.refresh_from_db()
                assert alice.failure_count == failures
                assert (alice.locked_at is not None) == (failures >= 100), failures
    assert AccessEvent.objects.filter(event="code_locked").count() == 1
    # Locked: a new hour brings no code, and the last right code is refused.
    with time_machine.travel(start + datetime.timedelta(hours=21), tick=False):
        request = _visitor_request()
        codes_before = VerificationCode.objects.count()
        with django_capture_on_commit_callbacks(execute=True):
            services.request_code(link, ALICE, request)
        assert VerificationCode.objects.count() == codes_before  # no new code
        assert not services.verify_code(link, request, right).ok
    services.unlock_recipient(alice)
    with time_machine.travel(start + datetime.timedelta(hours=22), tick=False):
        request = _visitor_request()
        with django_capture_on_commit_callbacks(execute=True):
            services.request_code(link, ALICE, request)
        assert services.verify_code(link, request, last_code(ALICE)).ok
    assert Grant.objects.filter(recipient=alice).count() == 1


def test_only_who_may_edit_the_page_unlocks_a_reviewer(client, page_link, fast_policy):
    """S4 on a page preview: the lock holds until someone who may edit the page
    unlocks; an editor of another section gets a 403 and the lock stays."""
    link = page_link
    _fail(Client(), link, ALICE, 5)
    _fail(Client(), link, ALICE, 5)
    alice = _recipient(link)
    assert alice.locked_at is not None
    url = reverse("wagtail_securelink_admin:unlock_recipient", args=[alice.pk])
    elsewhere = Page.get_first_root_node().add_child(
        instance=Page(title="Elsewhere", slug="elsewhere")
    )
    outsider = Client()
    outsider.force_login(page_editor(elsewhere, "outsider"))
    assert outsider.post(url).status_code == 403
    assert _recipient(link).locked_at is not None
    assert verify(client, link, ALICE).status_code != 303
    editor = Client()
    editor.force_login(page_editor(link.page.get_parent()))
    assert editor.post(url).status_code == 302
    assert (_recipient(link).locked_at, _recipient(link).failure_count) == (None, 0)
    assert verify(Client(), link, ALICE).status_code == 303
