"""Access requests: every visitor may ask, the sharer approves or declines
from the email or the admin, nothing tells listed from unlisted addresses (S7)."""

import re

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from tests.factories import make_user
from tests.helpers import enter_code_url, request_code
from wagtail_securelink.models import AccessEvent, AccessRequest, Recipient
from wagtail_securelink.tasks import background as delivery

pytestmark = pytest.mark.django_db

ALICE = "alice@example.com"
STRANGER = "stranger@example.org"
OWNER = "owner@example.com"


def ask(client, link, email, message="Please let me in"):
    request_code(client, link, email)
    response = client.post(
        reverse("wagtail_securelink:ask_access", args=[link.token]),
        {"message": message},
    )
    delivery.flush()
    return response


def to(address):
    return [m for m in mail.outbox if m.to == [address]]


def requests_to_owner():
    return [m for m in to(OWNER) if "asks for access" in m.subject]


def approve_url(message):
    return re.search(r"(http\S+\?action=approve)", message.body).group(1)


def test_every_visitor_is_offered_the_same_request(client, link):
    Recipient.objects.filter(email=ALICE).update(locked_at="2026-01-01T00:00Z")
    pages = []
    for email in (ALICE, STRANGER):
        request_code(client, link, email)
        page = client.get(enter_code_url(link)).content.decode()
        assert "Didn't get a code? Ask the person who shared this" in page
        pages.append(page.replace(email, "EMAIL"))
        client.cookies.clear()
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
    assert strip.sub("", pages[0]) == strip.sub("", pages[1])


def test_request_reaches_the_sharer_once_per_address_and_day(client, link):
    answers = []
    for email in (STRANGER, ALICE):
        response = ask(client, link, email)
        assert response.status_code == 200
        answers.append(response.content.decode().replace(email, "EMAIL"))
        client.cookies.clear()
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
    assert strip.sub("", answers[0]) == strip.sub("", answers[1])  # S7
    notices = requests_to_owner()
    assert len(notices) == 2
    assert STRANGER in notices[0].subject and "Contract" in notices[0].subject
    assert "Please let me in" in notices[0].body
    assert link.token not in notices[0].body
    mail.outbox.clear()
    ask(client, link, STRANGER, "again")
    assert not requests_to_owner()  # once per address and day
    assert AccessRequest.objects.filter(email=STRANGER).count() == 1
    assert (
        AccessEvent.objects.filter(event="access_requested", email=STRANGER).count()
        == 1
    )


def test_approve_from_the_email_adds_and_invites(client, link):
    ask(client, link, STRANGER)
    url = approve_url(requests_to_owner()[0])
    client.cookies.clear()
    assert client.get(url).status_code == 302  # the admin login first
    owner = make_user("owner2", superuser=True)
    client.force_login(owner)
    page = client.get(url)
    assert page.status_code == 200 and STRANGER in page.content.decode()
    mail.outbox.clear()
    response = client.post(url.split("?")[0], {"action": "approve"})
    assert response.status_code == 302
    delivery.flush()
    assert Recipient.objects.filter(link=link, email=STRANGER).exists()
    assert len(to(STRANGER)) == 1 and link.url in to(STRANGER)[0].body
    assert AccessEvent.objects.filter(event="access_request_approved").count() == 1
    again = client.post(url.split("?")[0], {"action": "decline"})
    assert again.status_code == 409
    assert "already answered" in again.content.decode()


def test_decline_sends_a_polite_answer_naming_no_item(client, link):
    ask(client, link, STRANGER)
    url = approve_url(requests_to_owner()[0]).split("?")[0]
    client.force_login(make_user("root", superuser=True))
    mail.outbox.clear()
    client.post(url, {"action": "decline"})
    delivery.flush()
    answer = to(STRANGER)
    assert len(answer) == 1 and "Contract" not in answer[0].body
    assert "decided not to give this address access" in answer[0].body
    assert not Recipient.objects.filter(email=STRANGER).exists()
    assert AccessEvent.objects.filter(event="access_request_declined").count() == 1


def test_forged_or_foreign_requests_are_refused(client, link, editor):
    ask(client, link, STRANGER)
    url = approve_url(requests_to_owner()[0]).split("?")[0]
    client.force_login(editor)  # manages Legal only; the document is in the root
    assert client.post(url, {"action": "approve"}).status_code == 403
    assert not Recipient.objects.filter(email=STRANGER).exists()
    forged = reverse("wagtail_securelink_admin:access_request", args=["abc:def"])
    client.force_login(make_user("root", superuser=True))
    assert client.get(forged).status_code == 404
    assert client.post(url, {"action": "nonsense"}).status_code == 400


def test_manage_access_lists_open_requests(client, link):
    ask(client, link, STRANGER)
    client.force_login(make_user("root", superuser=True))
    page = client.get(
        reverse("wagtail_securelink_admin:manage_document", args=[link.document_id])
    ).content.decode()
    assert "Access requests" in page and STRANGER in page


@override_settings(WAGTAIL_SECURELINK_RATE_REQUEST_PER_NETWORK="2/h")
def test_requests_are_rate_limited_like_code_sends(client, link):
    for n in range(2):
        assert ask(client, link, f"p{n}@example.org").status_code == 200
    assert ask(client, link, "p9@example.org").status_code == 429


def test_a_too_long_message_is_a_clear_400(client, link):
    response = ask(client, link, STRANGER, "x" * 1001)
    assert response.status_code == 400
    assert "at most 1000 characters" in response.content.decode()
    assert not AccessRequest.objects.exists()


def test_without_a_pending_address_it_goes_back_to_the_gate(client, link):
    response = client.post(
        reverse("wagtail_securelink:ask_access", args=[link.token]), {"message": "hi"}
    )
    assert response.status_code == 302
    assert not AccessRequest.objects.exists()


def test_erasing_an_address_deletes_its_requests(client, link):
    from wagtail_securelink import services

    ask(client, link, STRANGER, "my phone is 555-0100")
    assert AccessRequest.objects.filter(email=STRANGER).exists()
    services.erase_address(STRANGER)
    assert not AccessRequest.objects.filter(email=STRANGER).exists()
    assert not AccessEvent.objects.filter(email=STRANGER).exists()
