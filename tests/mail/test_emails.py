"""Emails as they leave Django: the link stays whole on one line (local development).

On Django 6 a text part with a line over 78 characters, or with non-ASCII text, is
encoded quoted-printable by default, and ``=`` soft line breaks cut the link in the
console backend. These tests read the bytes that a backend writes or sends.
"""

import django
import pytest
from django.core import mail
from django.test import override_settings

from tests.factories import make_document, make_link
from tests.helpers import last_code, request_code
from wagtail_securelink.mail.messages import SecureLinkEmailMessage
from wagtail_securelink.services import link_url

pytestmark = pytest.mark.django_db

ALICE = "alice@example.com"
# Long enough that the link is over 78 characters whatever the token length.
BASE_URL = "http://127.0.0.1:8000/a-long-path-prefix-for-this-test"


def lines_of(message) -> list[bytes]:
    return message.message().as_bytes().splitlines()


def assert_on_one_line(message, text: str) -> None:
    lines = lines_of(message)
    assert any(text.encode() in line for line in lines), b"\n".join(lines).decode()
    assert b"Content-Transfer-Encoding: quoted-printable" not in lines


@pytest.fixture
def link():
    # A non-ASCII title makes the body non-ASCII, the other trigger of
    # quoted-printable on Django 6.
    document = make_document(title="Zoë's contract — 2026")
    with override_settings(WAGTAIL_SECURELINK_BASE_URL=BASE_URL):
        yield make_link(document, [ALICE], send_invitations=True, message="Grüße")


@override_settings(WAGTAIL_SECURELINK_BASE_URL=BASE_URL)
def test_invitation_keeps_the_link_on_one_line(link):
    (invitation,) = mail.outbox
    assert isinstance(invitation, SecureLinkEmailMessage)
    url = link_url(link)
    assert len(url) > 78
    assert_on_one_line(invitation, url)
    assert "Zoë" in invitation.message().as_bytes().decode()  # 8bit UTF-8, readable


@override_settings(WAGTAIL_SECURELINK_BASE_URL=BASE_URL)
def test_code_email_is_readable_text(client, link):
    # The code email carries no link (the code goes back into the page that asked for
    # it); its non-ASCII title would still make it quoted-printable on Django 6.
    mail.outbox.clear()
    request_code(client, link, ALICE)
    (code_email,) = mail.outbox
    code = last_code(ALICE)
    assert_on_one_line(code_email, f"Your code is {code}.")
    assert_on_one_line(code_email, "Zoë's contract — 2026")


@override_settings(EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend")
def test_console_backend_prints_the_link_on_one_line(link, capsys):
    # What a developer sees with runserver and the console backend.
    with override_settings(WAGTAIL_SECURELINK_BASE_URL=BASE_URL):
        make_link(make_document(), [ALICE], send_invitations=True)
    printed = capsys.readouterr().out
    url_prefix = BASE_URL + "/"
    assert any(
        line.startswith(url_prefix) or f" {url_prefix}" in line
        for line in printed.splitlines()
        if len(line) > 78
    ), printed


@pytest.mark.skipif(django.VERSION < (6, 0), reason="Django 6 builds EmailMessage")
def test_a_line_over_998_characters_stays_quoted_printable():
    # RFC 5322 allows at most 998 characters a line: 8bit would break it.
    message = SecureLinkEmailMessage(
        "s", "x" * 1200, "a@example.com", ["b@example.com"]
    )
    assert b"quoted-printable" in message.message().as_bytes()


@override_settings(
    WAGTAIL_SECURELINK_BASE_URL=BASE_URL,
    DEFAULT_FROM_EMAIL="noreply@share.university.ac.uk",
    WAGTAIL_SITE_NAME="University documents",
)
def test_code_email_is_built_to_reach_the_inbox(client, link):
    # What spam filters look at: text first (the HTML part adds layout only), nothing
    # to click or load, who sends it by name, RFC 3834's Auto-Submitted, and a
    # Message-ID on the sender's domain rather than on this server's host name.
    import email
    import email.policy
    import html as html_module
    import re

    mail.outbox.clear()
    request_code(client, link, ALICE)
    (code_email,) = mail.outbox
    code = last_code(ALICE)
    parsed = email.message_from_bytes(
        code_email.message().as_bytes(), policy=email.policy.default
    )
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Message-ID"].endswith("@share.university.ac.uk>")
    assert parsed["From"] == "University documents <noreply@share.university.ac.uk>"
    assert parsed["Subject"] == f"Your code is {code} – University documents"
    parts = [part.get_content_type() for part in parsed.walk()]
    assert parts == ["multipart/alternative", "text/plain", "text/html"]
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert code in text and code in html
    for body in (text, html):
        assert not re.search(r"https?://|www\.", body), body
    assert not re.search(r"<(a|img|script|link)\b", html, re.IGNORECASE)
    # The HTML adds no words the text lacks (layout only).
    shown = html_module.unescape(re.sub(r"<[^>]+>", " ", html))
    words = set(re.findall(r"\w+", shown))
    assert words <= set(re.findall(r"\w+", text)) | {"sans", "serif", "monospace"}
