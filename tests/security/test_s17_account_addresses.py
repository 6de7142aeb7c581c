"""S17: a site account's email address stands for a recipient only when the site says
account addresses are verified; changing one's own account email never opens a link or
diverts a recipient's codes."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from tests.factories import make_user
from tests.helpers import enter_code_url, landing_url, last_code, request_code
from tests.security.conftest import ALICE, code_mails, item_mark, link_to
from wagtail_securelink import checks
from wagtail_securelink.choices import EventType
from wagtail_securelink.models import AccessEvent, Recipient

pytestmark = pytest.mark.django_db

CEO = "ceo@example.org"
VERIFIED = override_settings(WAGTAIL_SECURELINK_ACCOUNT_EMAILS_VERIFIED=True)


def _take_over_address(client, address):
    """A user who may only reach the admin sets ``address`` on their own account
    through Wagtail's account page (Wagtail asks for no proof)."""
    user = make_user("intruder", email="intruder@example.net")
    user.user_permissions.add(*_access_admin())
    assert client.login(username="intruder", password="password")
    response = client.post(
        reverse("wagtailadmin_account"),
        {
            "name_email-first_name": "In",
            "name_email-last_name": "Truder",
            "name_email-email": address,
            "locale-preferred_language": "en",
            "locale-current_time_zone": "UTC",
            "theme-theme": "system",
            "theme-density": "default",
            "theme-contrast": "system",
            "keyboard-shortcuts": "true",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    user.refresh_from_db()
    assert user.email == address
    return user


def _access_admin():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )


def test_changing_ones_own_email_does_not_open_a_link(any_target):
    link = link_to(any_target, [CEO])
    intruder = Client()
    _take_over_address(intruder, CEO)
    page = intruder.get(landing_url(link))
    assert page.status_code == 200
    assert b"Confirm your email address" in page.content
    assert item_mark(link) not in page.content
    assert intruder.get(reverse("wagtail_securelink:download", args=[link.token]))[
        "Location"
    ] == landing_url(link)
    assert Recipient.objects.get(link=link).first_opened_at is None
    # The intruder signed in with the address gets a code like anyone: to the CEO.
    request_code(intruder, link, CEO)
    assert [m.to for m in code_mails()] == [[CEO]]


def test_the_real_recipient_still_gets_codes(any_target):
    link = link_to(any_target, [CEO])
    _take_over_address(Client(), CEO)
    recipient = Client()
    assert request_code(recipient, link, CEO)["Location"] == enter_code_url(link)
    assert len(code_mails(CEO)) == 1
    assert not any("sign in with your account" in m.body for m in mail.outbox)
    response = recipient.post(enter_code_url(link), {"code": last_code(CEO)})
    assert response.status_code == 303
    assert item_mark(link) in recipient.get(landing_url(link)).content


@VERIFIED
def test_a_verified_account_opens_its_link_and_counts_as_the_first_open(any_link):
    link = any_link
    make_user("alice", email=ALICE)
    client = Client()
    client.login(username="alice", password="password")
    assert item_mark(link) in client.get(landing_url(link)).content
    recipient = Recipient.objects.get(link=link, email=ALICE)
    assert recipient.first_opened_at is not None
    assert AccessEvent.objects.filter(
        event=EventType.VERIFIED, recipient=recipient, detail__method="account"
    ).exists()
    notices = [m for m in mail.outbox if "opened" in m.subject]
    assert len(notices) == 1 and ALICE in notices[0].subject
    client.get(landing_url(link))
    assert len([m for m in mail.outbox if "opened" in m.subject]) == 1


@VERIFIED
def test_a_verified_account_holder_is_told_to_sign_in_instead_of_a_code(link):
    make_user("alice", email=ALICE)
    request_code(Client(), link, ALICE)
    assert code_mails() == []
    assert "sign in with your account" in mail.outbox[0].body


def test_no_check_in_the_default_case(settings):
    settings.WAGTAIL_EMAIL_MANAGEMENT_ENABLED = True
    assert checks.check_account_addresses(None) == []


@VERIFIED
def test_check_warns_when_users_may_change_their_own_address(settings):
    messages = checks.check_account_addresses(None)
    assert [m.id for m in messages] == ["wagtail_securelink.W004"]
    assert checks.ACCOUNT_ADDRESSES_DOCS in messages[0].hint
    assert "#account-addresses" in checks.ACCOUNT_ADDRESSES_DOCS
    settings.WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False
    assert checks.check_account_addresses(None) == []


@VERIFIED
def test_check_runs_with_the_security_tag(capsys):
    with pytest.raises(Exception, match="W004"):
        call_command("check", "--tag", "security", "--fail-level", "WARNING")
