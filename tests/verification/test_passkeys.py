"""passkeys.py: a passkey saved after a code stands in for the next codes, under every
rule a code meets on the link it opens (SPEC §2, S7, S9)."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from tests.factories import make_document, make_link
from tests.helpers import ALICE, download_url, landing_url, visitor_url
from tests.helpers import verify as verify_by_code
from tests.verification.authenticator import (
    SoftAuthenticator,
    post_json,
    save_passkey,
    sign_in,
)
from wagtail_securelink import services
from wagtail_securelink.choices import EventType, PasskeyPolicy
from wagtail_securelink.models import AccessEvent, Grant, Passkey, SecureLinkPolicy

pytestmark = pytest.mark.django_db

BOB = "bob@example.com"


@pytest.fixture
def second_link(root_collection):
    """Another link shared with Alice (and Bob), to another document."""
    return make_link(make_document("Budget"), [ALICE, BOB])


@pytest.fixture
def saved(client, link):
    """Alice verified on ``link`` by code and saved a passkey; a new browser holds it."""
    authenticator = SoftAuthenticator()
    assert verify_by_code(client, link, ALICE).status_code == 303
    response = save_passkey(client, link, authenticator)
    assert response.status_code == 200, response.content
    return authenticator


def test_after_a_code_the_page_offers_to_save_a_passkey(client, link):
    verify_by_code(client, link, ALICE)
    page = client.get(landing_url(link))
    assert b"Save a passkey for next time" in page.content
    assert "script-src 'self'" in page["Content-Security-Policy"]
    # Without a fresh code, nothing is offered and nothing can be saved.
    other = Client()
    assert post_json(
        other, visitor_url("passkey_register_begin", link)
    ).status_code == (400)


def test_registration_after_a_code(client, link, saved):
    passkey = Passkey.objects.get()
    assert passkey.email == ALICE
    assert passkey.credential_id == saved.id
    assert passkey.sign_count == 1
    assert passkey.transports == ["internal"]
    assert AccessEvent.objects.filter(event=EventType.PASSKEY_REGISTERED).count() == 1
    # The offer is spent: the page no longer shows it.
    assert b"Save a passkey for next time" not in client.get(landing_url(link)).content


def test_the_verify_page_offers_a_passkey_beside_the_email_form(link):
    page = Client().get(landing_url(link))
    assert b"Use a passkey" in page.content
    assert b"Send code" in page.content  # the email code stays the way in
    assert "script-src 'self'" in page["Content-Security-Policy"]


def test_a_passkey_opens_another_link_of_the_address_without_email(
    link, second_link, saved
):
    mail.outbox.clear()
    browser = Client()
    response = sign_in(browser, second_link, saved)
    assert response.status_code == 200, response.content
    assert response.json()["redirect"] == landing_url(second_link)
    # No code went out: the only email is the sharer's first-open notice.
    assert [m.to for m in mail.outbox if ALICE in m.to] == []
    assert not any("Your code is" in m.body for m in mail.outbox)
    assert browser.get(download_url(second_link)).status_code == 200
    grant = Grant.objects.get(link=second_link)
    assert grant.recipient.email == ALICE
    assert grant.proved_at == Passkey.objects.get().email_proved_at
    assert AccessEvent.objects.filter(event=EventType.PASSKEY_USED).count() == 1
    assert Passkey.objects.get().last_used_at is not None


def refused_body(response):
    assert response.status_code == 400
    return response.content


def test_a_removed_recipient_is_refused(link, second_link, saved):
    services.remove_recipient(second_link.recipients.get(email=ALICE))
    assert refused_body(sign_in(Client(), second_link, saved))
    assert not Grant.objects.filter(link=second_link).exists()


def test_a_locked_recipient_is_refused(link, second_link, saved):
    second_link.recipients.filter(email=ALICE).update(locked_at=timezone.now())
    refused_body(sign_in(Client(), second_link, saved))
    assert not Grant.objects.filter(link=second_link).exists()
    assert Passkey.objects.get().last_used_at is None  # a refusal is no use


def test_a_recipient_past_their_access_end_is_refused(link, second_link, saved):
    second_link.recipients.filter(email=ALICE).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    refused_body(sign_in(Client(), second_link, saved))


def test_a_domain_no_longer_allowed_is_refused(link, second_link, saved):
    policy = SecureLinkPolicy.load()
    policy.blocked_domains = "example.com"
    policy.save()
    refused_body(sign_in(Client(), second_link, saved))


def test_a_link_not_shared_with_the_address_is_refused(link, saved):
    bobs = make_link(make_document("Bob's"), [BOB])
    refused_body(sign_in(Client(), bobs, saved))
    assert not Grant.objects.filter(link=bobs).exists()


def test_a_replayed_assertion_is_refused(link, second_link, saved):
    browser = Client()
    options = post_json(browser, visitor_url("passkey_sign_in_begin", second_link))
    answer = saved.get(options.json())
    url = visitor_url("passkey_sign_in", second_link)
    assert post_json(browser, url, answer).status_code == 200
    # The same answer again: its challenge was used.
    refused_body(post_json(browser, url, answer))
    assert Grant.objects.filter(link=second_link).count() == 1


def test_a_challenge_answers_once(link, second_link, saved):
    browser = Client()
    options = post_json(browser, visitor_url("passkey_sign_in_begin", second_link))
    url = visitor_url("passkey_sign_in", second_link)
    assert post_json(browser, url, saved.get(options.json())).status_code == 200
    # A new signature over the same challenge, with a counter that grew: still refused.
    refused_body(post_json(browser, url, saved.get(options.json())))
    event = AccessEvent.objects.filter(event=EventType.PASSKEY_FAILED).last()
    assert event.detail["reason"] == "no_challenge"


def test_a_sign_count_that_does_not_grow_is_refused(link, second_link, saved):
    assert sign_in(Client(), second_link, saved).status_code == 200
    # A fresh challenge, signed with a counter already seen: a cloned authenticator.
    refused_body(sign_in(Client(), second_link, saved, counter=saved.counter))
    assert Grant.objects.filter(link=second_link).count() == 1
    event = AccessEvent.objects.filter(event=EventType.PASSKEY_FAILED).last()
    assert event.detail["reason"] == "sign_count"


def test_user_verification_is_required(link, second_link, saved):
    from fido2.webauthn import AuthenticatorData

    refused_body(sign_in(Client(), second_link, saved, flags=AuthenticatorData.FLAG.UP))


def test_a_credential_for_another_rp_id_is_refused(link, second_link, saved):
    elsewhere = SoftAuthenticator(rp_id="evil.example.test")
    elsewhere.key = saved.key
    elsewhere.credential_id = saved.credential_id
    elsewhere.counter = saved.counter
    refused_body(sign_in(Client(), second_link, elsewhere))


def test_an_answer_from_another_origin_is_refused(link, second_link, saved):
    saved.origin = "https://evil.share.example.test"
    refused_body(sign_in(Client(), second_link, saved))


def test_after_the_reverification_period_a_code_is_asked_once(link, second_link, saved):
    later = timezone.now() + datetime.timedelta(days=15, seconds=1)
    with time_machine.travel(later):
        refused_body(sign_in(Client(), second_link, saved))
        event = AccessEvent.objects.filter(event=EventType.PASSKEY_FAILED).last()
        assert event.detail["reason"] == "reverification_due"
        # One code, on any link of the address, and the passkey works again.
        assert verify_by_code(Client(), link, ALICE).status_code == 303
        assert sign_in(Client(), second_link, saved).status_code == 200


def test_a_links_shorter_period_counts(link, second_link, saved):
    second_link.reverification_days = 1
    second_link.save()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1, seconds=1)):
        refused_body(sign_in(Client(), second_link, saved))
    # The first link keeps the site's 15 days.
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
        assert sign_in(Client(), link, saved).status_code == 200


def test_a_passkey_grant_runs_from_the_code_not_from_now(link, second_link, saved):
    with time_machine.travel(timezone.now() + datetime.timedelta(days=14)):
        browser = Client()
        assert sign_in(browser, second_link, saved).status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(days=15, seconds=1)):
        assert browser.get(download_url(second_link)).status_code == 302


def test_unknown_credential_and_refused_address_answer_alike(link, second_link, saved):
    bobs = make_link(make_document("Bob's"), [BOB])
    refused = sign_in(Client(), bobs, saved)  # a real passkey, not a recipient here
    stranger = sign_in(Client(), bobs, SoftAuthenticator())  # unknown credential
    locked_link = make_link(make_document("Locked"), [ALICE])
    locked_link.recipients.update(locked_at=timezone.now())
    locked = sign_in(Client(), locked_link, saved)
    assert refused.status_code == stranger.status_code == locked.status_code == 400
    assert refused.content == stranger.content == locked.content


def test_passkeys_off_in_the_policy(link, second_link, saved):
    policy = SecureLinkPolicy.load()
    policy.passkeys = PasskeyPolicy.OFF
    policy.save()
    assert b"Use a passkey" not in Client().get(landing_url(second_link)).content
    assert (
        post_json(
            Client(), visitor_url("passkey_sign_in_begin", second_link)
        ).status_code
        == 400
    )


def test_erasure_deletes_the_passkeys(link, saved):
    services.erase_address(ALICE)
    assert not Passkey.objects.exists()


def test_removing_passkeys_is_audited(link, saved):
    assert services.remove_passkeys(ALICE) == 1
    assert AccessEvent.objects.filter(event=EventType.PASSKEY_REMOVED).count() == 1
    refused_body(sign_in(Client(), link, saved))


def test_the_person_page_shows_and_removes_passkeys(link, saved, superuser):
    from django.urls import reverse

    admin = Client()
    admin.force_login(superuser)
    url = reverse("wagtail_securelink_admin:person") + f"?email={ALICE}"
    page = admin.get(url)
    assert b"Remove their passkeys" in page.content
    assert b"Not yet" in page.content  # never used yet
    response = admin.post(
        reverse("wagtail_securelink_admin:person_action"),
        {"email": ALICE, "action": "remove_passkeys"},
    )
    assert response.status_code == 302
    assert not Passkey.objects.exists()
    event = AccessEvent.objects.get(event=EventType.PASSKEY_REMOVED)
    assert event.user_id == superuser.pk
    assert b"No passkey" in admin.get(url).content


JUNK = [
    b"not json",
    b"[]",
    b'"a string"',
    b"{}",
    b'{"rawId": 5}',
    b'{"rawId": "' + b"A" * 5000 + b'"}',
    b'{"id": "\\u0000", "response": null}',
    b'{"rawId": "AAAA", "response": {"clientDataJSON": 1}}',
    '{"rawId": "😀", "response": {"signature": "\r\n"}}'.encode(),
]


@pytest.mark.parametrize("body", JUNK)
def test_junk_answers_never_give_a_500(link, second_link, saved, body):
    browser = Client()
    for begin, finish in (
        ("passkey_sign_in_begin", "passkey_sign_in"),
        ("passkey_register_begin", "passkey_register_finish"),
    ):
        post_json(browser, visitor_url(begin, second_link))
        response = browser.post(
            visitor_url(finish, second_link), body, content_type="application/json"
        )
        assert response.status_code == 400, (finish, response.content)


def test_junk_registration_after_a_code_is_refused(client, link):
    verify_by_code(client, link, ALICE)
    for body in JUNK:
        assert (
            post_json(client, visitor_url("passkey_register_begin", link)).status_code
            == 200
        )
        response = client.post(
            visitor_url("passkey_register_finish", link),
            body,
            content_type="application/json",
        )
        assert response.status_code == 400
    assert not Passkey.objects.exists()


def test_get_changes_nothing(link):
    browser = Client()
    for name in ("passkey_sign_in_begin", "passkey_sign_in", "passkey_register_begin"):
        assert browser.get(visitor_url(name, link)).status_code == 405
    assert "sessionid" not in browser.cookies


def test_the_policy_can_keep_a_passkey_browser_in_for_hours_only(
    client, link, second_link, saved
):
    policy = SecureLinkPolicy.load()
    policy.passkeys = PasskeyPolicy.OFFERED_LIMITED
    policy.passkey_stay_hours = 2
    policy.save()
    browser = Client()
    assert sign_in(browser, second_link, saved).status_code == 200
    assert browser.get(download_url(second_link)).status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=2, seconds=1)):
        assert browser.get(download_url(second_link)).status_code == 302
        assert Grant.objects.get(link=second_link).end_reason == "passkey_stay_over"
        # A code's grant keeps its reverification period.
        assert client.get(download_url(link)).status_code == 200
        # The passkey itself still works, for another few hours.
        assert sign_in(Client(), second_link, saved).status_code == 200


def test_the_visitor_stylesheet_lets_the_scripts_hide_a_button():
    """passkeys.js hides "Save a passkey" once saved with the ``hidden`` attribute;
    ``button { display: inline-flex }`` used to win over it, so the button stayed
    (tests/e2e/test_passkeys.py saw it in Chromium)."""
    from django.contrib.staticfiles import finders

    with open(finders.find("wagtail_securelink/visitor.css")) as file:
        css = re.sub(r"/\*.*?\*/", "", file.read(), flags=re.S)
    rules = {
        selector.strip(): body.strip()
        for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css)
    }
    assert rules.get("[hidden]") == "display: none !important;"
    assert "display" in rules["button, .button"]  # the rule it must win over


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]"])
def test_no_passkey_is_offered_where_the_base_url_is_an_ip_address(
    settings, client, link, host
):
    """A WebAuthn RP id is a domain: browsers refuse one that is an IP address, so a
    site at http://127.0.0.1:8000 would offer a button that can never work."""
    settings.WAGTAIL_SECURELINK_BASE_URL = f"http://{host}:8000"
    page = Client().get(landing_url(link))
    assert b"Send code" in page.content
    assert b"Use a passkey" not in page.content
    assert "script-src" not in page["Content-Security-Policy"]
    assert (
        post_json(Client(), visitor_url("passkey_sign_in_begin", link)).status_code
        == 400
    )
    verify_by_code(client, link, ALICE)
    assert b"Save a passkey" not in client.get(landing_url(link)).content
    assert (
        post_json(client, visitor_url("passkey_register_begin", link)).status_code
        == 400
    )
    # The same site by name offers both.
    settings.WAGTAIL_SECURELINK_BASE_URL = "http://localhost:8000"
    assert b"Save a passkey" in client.get(landing_url(link)).content
    assert b"Use a passkey" in Client().get(landing_url(link)).content
