"""The visitor flow of SPEC §3 through real requests, rows and emails.

Each security requirement has its single test in tests/security/test_sN_*.py (an
unlisted address's answers: S7; a code's single use and its wrong-try limit: S3);
this file walks the flow itself.
"""

import pytest
from django.core import mail

from tests.factories import PDF_CONTENT, make_document, make_link
from tests.helpers import (
    download_url,
    enter_code_url,
    landing_url,
    last_code,
    request_code,
    verify,
    view_url,
)
from wagtail_securelink.models import AccessEvent, Grant

pytestmark = pytest.mark.django_db

ALICE = "alice@example.com"


@pytest.fixture
def link():
    return make_link(make_document(), [ALICE, "bob@example.org"])


def test_landing_without_grant_asks_for_the_address(client, link):
    response = client.get(landing_url(link))
    assert response.status_code == 200
    assert b"Confirm your email address" in response.content
    assert b"Report" not in response.content  # the name is hidden by default (§6)
    assert 'autocomplete="email"' in response.content.decode()


def test_listed_recipient_gets_code_and_downloads_the_file(client, link):
    response = request_code(client, link, "Alice@Example.COM")
    assert response.status_code == 303
    assert response["Location"] == enter_code_url(link)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [ALICE]  # the stored address, not what was typed
    assert "It expires in 10 minutes" in message.body
    assert "If you did not ask for it, ignore this email." in message.body

    page = client.get(enter_code_url(link))
    assert b"If this address can open the item, we sent it a code" in page.content
    assert 'autocomplete="one-time-code"' in page.content.decode()
    assert 'inputmode="numeric"' in page.content.decode()

    response = client.post(enter_code_url(link), {"code": last_code(ALICE)})
    assert response.status_code == 303
    assert Grant.objects.filter(link=link, ended_at__isnull=True).count() == 1

    page = client.get(landing_url(link))
    assert page.status_code == 200
    assert b"Report" in page.content
    assert b"Download" in page.content

    response = client.get(download_url(link))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_CONTENT
    assert response["Content-Disposition"].startswith("attachment")
    events = set(AccessEvent.objects.filter(link=link).values_list("event", flat=True))
    assert {"code_sent", "verified", "opened", "downloaded"} <= events


def test_view_role_previews_but_does_not_download(client):
    link = make_link(make_document(), [ALICE], role="view")
    verify(client, link, ALICE)
    page = client.get(landing_url(link))
    assert b"the file itself is never sent" in page.content
    assert b"Page 1 of 1" in page.content  # rendered on the server
    assert client.get(download_url(link)).status_code == 403
    assert client.get(view_url(link)).status_code == 403
