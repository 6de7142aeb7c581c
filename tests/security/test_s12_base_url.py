"""S12: link and email URLs are built from the configured base URL, never from the
request's ``Host`` header."""

import pytest
from django.core import mail
from django.test import Client, RequestFactory, override_settings

from tests.factories import make_user
from tests.helpers import send_code_url
from tests.security.conftest import ALICE, like, link_to

pytestmark = pytest.mark.django_db

BASE = "https://share.example.test"
EVIL = "evil.example"


def _all_mail_text():
    parts = []
    for message in mail.outbox:
        parts += [message.subject, message.body, str(message.reply_to)]
        parts += [content for content, _type in message.alternatives]
    return "\n".join(parts)


def test_link_url_uses_the_base_url(any_link):
    """S12: ``link.url`` is the configured base URL plus the path."""
    link = any_link
    assert link.url == f"{BASE}/share/{link.token}/"
    with override_settings(WAGTAIL_SECURELINK_BASE_URL="https://files.example.org/"):
        assert link.url == f"https://files.example.org/share/{link.token}/"


def test_invitation_ignores_the_host_of_the_editors_request(any_target):
    """S12: an invitation sent while serving a request to another host links to the
    configured base URL."""
    request = RequestFactory().post("/admin/", HTTP_HOST=EVIL)
    request.user = make_user("sharer", superuser=True)
    link = link_to(
        any_target,
        [ALICE],
        created_by=request.user,
        request=request,
        send_invitations=True,
    )
    assert link.invitations.sent == [ALICE]
    text = _all_mail_text()
    assert f"{BASE}/share/{link.token}/" in text
    assert EVIL not in text


@override_settings(WAGTAIL_SECURELINK_ACCOUNT_EMAILS_VERIFIED=True)
def test_visitor_emails_ignore_the_host_header(any_link):
    """S12: a visitor who reaches the site as ``evil.example`` gets emails that point at
    the configured host (the code email, and the sign-in reminder with its URLs)."""
    link = any_link
    make_user("alice", email="carol@example.com")
    account_link = like(link, ["carol@example.com"])
    visitor = Client(HTTP_HOST=EVIL)
    assert visitor.post(send_code_url(link), {"email": ALICE}).status_code == 303
    assert (
        visitor.post(
            send_code_url(account_link), {"email": "carol@example.com"}
        ).status_code
        == 303
    )
    assert len(mail.outbox) == 2
    reminder = mail.outbox[1]
    assert reminder.to == ["carol@example.com"]
    assert f"{BASE}/share/{account_link.token}/sign-in/" in reminder.body
    assert EVIL not in _all_mail_text()
