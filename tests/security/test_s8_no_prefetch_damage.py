"""S8: GET never sends a code, consumes anything or creates a session (mail scanners
follow links); every state change is a CSRF-protected POST."""

import re

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.helpers import enter_code_url, last_code, request_code, verify
from tests.security.conftest import ALICE, PREVIEW_MARK
from wagtail_securelink.models import AccessEvent, Grant, Recipient, VerificationCode

pytestmark = pytest.mark.django_db

VISITOR_URLS = [
    "landing",
    "send_code",
    "enter_code",
    "download",
    "view_file",
    "sign_out",
    "sign_in",
]


def _get_everything(client, link, times=20, **extra):
    statuses = {}
    for name in VISITOR_URLS:
        url = reverse(f"wagtail_securelink:{name}", args=[link.token])
        for _ in range(times):
            response = client.get(url, {"email": ALICE, "code": "123456"}, **extra)
            assert response.status_code < 500, name
            statuses[name] = response.status_code
    return statuses


def _state():
    return {
        "sessions": Session.objects.count(),
        "mails": len(mail.outbox),
        "codes": list(
            VerificationCode.objects.order_by("pk").values(
                "pk", "attempts", "used_at", "invalidated_at", "sent_at"
            )
        ),
        "grants": list(Grant.objects.order_by("pk").values("pk", "ended_at")),
        "recipients": list(
            Recipient.objects.order_by("pk").values(
                "pk", "failure_count", "locked_at", "last_code_sent_at"
            )
        ),
    }


def test_scanner_gets_change_nothing(any_link):
    """S8: a scanner with no cookies: no session row, no code, no mail."""
    link = any_link
    before = _state()
    statuses = _get_everything(Client(), link)
    assert _state() == before
    assert Session.objects.count() == 0
    assert statuses["send_code"] == 405
    assert statuses["sign_out"] == 405
    assert not AccessEvent.objects.filter(
        event__in=["code_requested", "code_sent", "unlisted_address", "signed_out"]
    ).exists()


def test_gets_do_not_consume_a_pending_code(client, any_link):
    """S8: GETs in the browser waiting for its code spend no try and burn no code."""
    link = any_link
    request_code(client, link, ALICE)
    code = last_code(ALICE)
    before = _state()
    _get_everything(client, link)
    assert _state() == before
    assert client.post(enter_code_url(link), {"code": code}).status_code == 303


def test_gets_do_not_end_a_grant(client, any_link):
    """S8: a verified browser's GETs (sign-out included) leave the grant alive."""
    link = any_link
    verify(client, link, ALICE)
    before = _state()
    _get_everything(client, link)
    after = _state()
    assert after == before
    assert Grant.objects.get().ended_at is None


def test_posts_without_csrf_token_are_refused(any_link):
    """S8: every state-changing POST needs the CSRF token."""
    link = any_link
    browser = Client(enforce_csrf_checks=True)
    browser.get(reverse("wagtail_securelink:landing", args=[link.token]))
    for name, data in [
        ("send_code", {"email": ALICE}),
        ("enter_code", {"code": "123456"}),
        ("sign_out", {}),
    ]:
        url = reverse(f"wagtail_securelink:{name}", args=[link.token])
        assert browser.post(url, data).status_code == 403, name
    assert mail.outbox == []
    assert not VerificationCode.objects.exists()
    assert Session.objects.count() == 0


def test_csrf_protected_post_works_with_the_token(any_link):
    """S8: the same POST with the form's token is accepted (the 403 above is CSRF)."""
    link = any_link
    browser = Client(enforce_csrf_checks=True)
    browser.get(reverse("wagtail_securelink:landing", args=[link.token]))
    token = browser.cookies["csrftoken"].value
    response = browser.post(
        reverse("wagtail_securelink:send_code", args=[link.token]),
        {"email": ALICE, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 303
    assert len(mail.outbox) == 1


def test_the_preview_sign_out_is_a_post_with_the_banners_csrf_token(page_link):
    """S8 on a page preview: the banner's *Sign out* is a POST carrying the reviewer's
    own CSRF token; without it nothing ends, with it the grant ends."""
    browser = Client(enforce_csrf_checks=True)
    browser.get(reverse("wagtail_securelink:landing", args=[page_link.token]))
    token = browser.cookies["csrftoken"].value
    verify_data = {"email": ALICE, "csrfmiddlewaretoken": token}
    send = reverse("wagtail_securelink:send_code", args=[page_link.token])
    assert browser.post(send, verify_data).status_code == 303
    enter = reverse("wagtail_securelink:enter_code", args=[page_link.token])
    code = {"code": last_code(ALICE), "csrfmiddlewaretoken": token}
    assert browser.post(enter, code).status_code == 303
    preview = browser.get(reverse("wagtail_securelink:landing", args=[page_link.token]))
    html = preview.content.decode()
    assert PREVIEW_MARK.decode() in html
    sign_out = reverse("wagtail_securelink:sign_out", args=[page_link.token])
    form = re.search(
        r'<form method="post" action="' + re.escape(sign_out) + r'"[^>]*>'
        r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"',
        html,
    )
    assert form, html
    assert browser.post(sign_out).status_code == 403
    assert Grant.objects.get().ended_at is None
    response = browser.post(sign_out, {"csrfmiddlewaretoken": form.group(1)})
    assert response.status_code == 200
    assert Grant.objects.get().ended_at is not None
    again = browser.get(reverse("wagtail_securelink:landing", args=[page_link.token]))
    assert PREVIEW_MARK not in again.content
