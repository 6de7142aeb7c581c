"""The service layer: link creation rules, recipients, revocation, account holders."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone
from wagtail.models import ModelLogEntry

from tests.factories import make_document, make_link, make_user
from tests.helpers import enter_code_url, landing_url, request_code, verify
from wagtail_securelink import services
from wagtail_securelink.models import (
    AccessEvent,
    Recipient,
    SecureLinkPolicy,
    ShareLink,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Alice@Example.COM", "alice@example.com"),
        ("  bob@example.org ", "bob@example.org"),
        ("user@Bücher.example", "user@xn--bcher-kva.example"),
        ("x@example.com.", "x@example.com"),
    ],
)
def test_normalise_email(raw, expected):
    assert services.normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "no-at-sign",
        "a@b@",
        "a\r\n@example.com",
        "a\x00@example.com",
        "x" * 300 + "@example.com",
        "😀@example.com",
    ],
)
def test_normalise_email_refuses(raw):
    with pytest.raises(ValidationError):
        services.normalise_email(raw)


@pytest.mark.parametrize(
    "lookalike", ["mıke@example.com", "\u212aate@example.com", "mike@example.com\u0307"]
)
def test_unicode_lookalikes_never_fold_onto_ascii_addresses(lookalike):
    """Only ASCII letters are lower-cased: Unicode case mapping must not create a match."""
    try:
        normalised = services.normalise_email(lookalike)
    except ValidationError:
        return
    assert normalised not in ("mike@example.com", "kate@example.com")


def test_create_link_stores_recipients_events_and_wagtail_log():
    document = make_document()
    user = make_user("sharer", superuser=True)
    link = services.create_link(
        target=document,
        created_by=user,
        recipients=["A@example.com", "a@example.com", "b@example.org"],
        message="  Here it is  ",
        send_invitations=False,
    )
    assert list(link.recipients.values_list("email", flat=True)) == [
        "a@example.com",
        "b@example.org",
    ]
    assert link.message == "Here it is"
    assert link.target_title == "Report"
    assert AccessEvent.objects.filter(link=link, event="link_created").exists()
    assert ModelLogEntry.objects.filter(
        action="wagtail_securelink.create", object_id=str(link.pk)
    ).exists()
    assert link.url.startswith("https://share.example.test/share/")
    assert mail.outbox == []


def test_create_link_sends_invitations():
    link = make_link(
        make_document(),
        ["a@example.com", "b@example.org"],
        send_invitations=True,
        message="Please sign page 3",
    )
    assert sorted(link.invitations.sent) == ["a@example.com", "b@example.org"]
    assert len(mail.outbox) == 2
    body = mail.outbox[0].body
    assert link.url in body
    assert "Please sign page 3" in body
    assert "we will email a short code" in body
    assert mail.outbox[0].alternatives[0][1] == "text/html"
    assert Recipient.objects.filter(invited_at__isnull=False).count() == 2


def test_invalid_addresses_are_named_and_nothing_is_created():
    with pytest.raises(ValidationError) as excinfo:
        make_link(make_document(), ["good@example.com", "not-an-address", "also bad"])
    message = " ".join(excinfo.value.message_dict["recipients"])
    assert "not-an-address" in message and "also bad" in message
    assert not ShareLink.objects.exists()


def test_specific_link_needs_a_recipient():
    with pytest.raises(ValidationError) as excinfo:
        make_link(make_document(), [])
    assert "recipients" in excinfo.value.message_dict


def test_domain_block_and_allow_lists():
    policy = SecureLinkPolicy.load()
    policy.allowed_domains = "example.com\npartner.example"
    policy.blocked_domains = "evil.example.com"
    policy.save()
    make_link(make_document(), ["a@example.com", "b@sub.partner.example"])
    with pytest.raises(ValidationError) as excinfo:
        make_link(
            make_document(), ["a@example.com", "x@evil.example.com", "y@gmail.example"]
        )
    message = " ".join(excinfo.value.message_dict["recipients"])
    assert "x@evil.example.com" in message and "y@gmail.example" in message
    assert "a@example.com" not in message


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"role": "upload"}, "role"),
        ({"role": "nonsense"}, "role"),
        ({"audience": "nonsense"}, "audience"),
        ({"expires_at": timezone.now() - datetime.timedelta(minutes=1)}, "expires_at"),
        ({"reverification_days": 16}, "reverification_days"),
        ({"reverification_days": 0}, "reverification_days"),
    ],
)
def test_refused_options(options, field):
    with pytest.raises(ValidationError) as excinfo:
        make_link(make_document(), ["a@example.com"], **options)
    assert field in excinfo.value.message_dict


def test_policy_default_expiry_applies():
    policy = SecureLinkPolicy.load()
    policy.default_expiry_days = 7
    policy.save()
    link = make_link(make_document(), ["a@example.com"])
    assert link.expires_at is not None
    assert abs(
        (link.expires_at - timezone.now()) - datetime.timedelta(days=7)
    ) < datetime.timedelta(minutes=1)


def test_expired_link_is_removed_for_visitors(client, time_machine):
    link = make_link(
        make_document(),
        ["a@example.com"],
        expires_at=timezone.now() + datetime.timedelta(days=1),
    )
    verify(client, link, "a@example.com")
    time_machine.move_to(timezone.now() + datetime.timedelta(days=1, seconds=1))
    assert client.get(landing_url(link)).status_code == 404


def test_added_recipient_can_verify_and_removed_one_cannot(client):
    link = make_link(make_document(), ["a@example.com"])
    rows = services.add_recipients(
        link, ["c@example.com", "a@example.com"], send_invitations=False
    )
    assert [r.email for r in rows] == ["c@example.com"]
    assert verify(client, link, "c@example.com").status_code == 303
    services.remove_recipient(link.recipients.get(email="c@example.com"))
    page = client.get(landing_url(link)).content
    assert b"Confirm your email address" in page
    assert b"Download" not in page


def test_per_link_reverification_is_shorter(client, time_machine):
    link = make_link(make_document(), ["a@example.com"], reverification_days=2)
    verify(client, link, "a@example.com")
    time_machine.move_to(timezone.now() + datetime.timedelta(days=2, seconds=1))
    assert b"Confirm your email address" in client.get(landing_url(link)).content


@override_settings(WAGTAIL_SECURELINK_ACCOUNT_EMAILS_VERIFIED=True)
def test_account_holder_is_asked_to_sign_in_and_opens_when_signed_in(client):
    make_user("alice", email="Alice@Example.com")
    link = make_link(make_document(), ["alice@example.com"])
    response = request_code(client, link, "alice@example.com")
    assert response["Location"] == enter_code_url(link)
    assert len(mail.outbox) == 1
    assert "sign in with your account" in mail.outbox[0].body
    assert "Your code is" not in mail.outbox[0].body
    client.login(username="alice", password="password")
    page = client.get(landing_url(link))
    assert b"Download" in page.content
