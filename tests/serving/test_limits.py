"""Open and download limits per link and per person."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_collection, make_document, make_link, make_user
from tests.helpers import download_url, landing_url, press_open, verify, view_url
from tests.pdfs import make_pdf
from wagtail_securelink.models import Recipient, ShareLink
from wagtail_securelink.serving import limits
from wagtail_securelink.verification.access import Access

ALICE = "alice@example.com"
BOB = "bob@example.com"
PDF = make_pdf(2, "Hello")

pytestmark = pytest.mark.django_db


def content(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.fixture
def document():
    return make_document("Contract", filename="contract.pdf", content=PDF)


def test_download_limit_is_per_person_on_a_link_for_specific_people(document):
    link = make_link(document, [ALICE, BOB], max_downloads=2)
    alice, bob = Client(), Client()
    verify(alice, link, ALICE)
    verify(bob, link, BOB)
    assert "Downloads left: 2 of 2" in alice.get(landing_url(link)).content.decode()
    assert content(alice.get(download_url(link))) == PDF
    assert "Downloads left: 1 of 2" in alice.get(landing_url(link)).content.decode()
    assert content(alice.get(download_url(link))) == PDF
    refused = alice.get(download_url(link))
    assert refused.status_code == 403
    assert "No downloads left" in refused.content.decode()
    assert PDF not in content(refused)
    assert "Downloads left: 0 of 2" in alice.get(landing_url(link)).content.decode()
    # Bob has his own allowance.
    assert content(bob.get(download_url(link))) == PDF
    link.refresh_from_db()
    assert link.download_count == 3
    assert Recipient.objects.get(email=ALICE).download_count == 2


def test_expires_after_the_first_download_for_an_anyone_link(document):
    link = make_link(document, audience="anyone", max_downloads=1)
    first, second = Client(), Client()
    assert content(first.get(download_url(link))) == PDF
    assert second.get(download_url(link)).status_code == 403
    assert first.get(download_url(link)).status_code == 403


def test_a_limited_link_shows_rendered_pages_and_counts_the_inline_file(
    client, document
):
    link = make_link(document, [ALICE], max_downloads=1)
    verify(client, link, ALICE)
    html = client.get(landing_url(link)).content.decode()
    assert "Page 1 of 2" in html  # rendered pages: viewing spends no download
    assert view_url(link) not in html
    assert content(client.get(view_url(link))) == PDF  # the file inline: counted
    assert client.get(download_url(link)).status_code == 403


def test_a_zip_counts_as_a_download(client):
    folder = make_collection("Shared")
    make_document("Inside", filename="inside.pdf", content=PDF, collection=folder)
    link = make_link(folder, audience="anyone", max_downloads=1)
    zip_url = reverse("wagtail_securelink:zip", args=[link.token])
    assert client.get(zip_url).status_code == 200
    assert client.get(zip_url).status_code == 403


def test_the_count_is_taken_in_the_database_not_from_a_stale_copy(document):
    """Two processes holding the same link row, both before any download: the
    conditional UPDATE lets exactly one of them through."""
    make_link(document, audience="anyone", max_downloads=1)
    first = ShareLink.objects.get()
    second = ShareLink.objects.get()
    access = Access(ok=True)
    assert limits.take_download(first, access) is True
    assert limits.take_download(second, access) is False
    assert ShareLink.objects.get().download_count == 1


def test_open_limit_counts_one_open_per_visitor_session(document):
    link = make_link(document, audience="anyone", role="view", max_opens=1)
    first, second = Client(), Client()
    press_open(first, link)
    html = first.get(landing_url(link)).content.decode()
    assert "Opens left: 0 of 1" in html
    # Moving through the pages of the viewer is the same open.
    assert first.get(landing_url(link), {"page": "2"}).status_code == 200
    page = reverse("wagtail_securelink:page_image", args=[link.token, 2])
    assert first.get(page).status_code == 200
    # The second visitor's GETs take nothing; their Open finds none left.
    assert second.get(landing_url(link)).status_code == 200
    assert second.get(page).status_code == 302
    refused = press_open(second, link)
    assert refused.status_code == 403
    assert "No opens left" in refused.content.decode()
    assert second.get(page).status_code == 302
    link.refresh_from_db()
    assert link.open_sessions == 1


def test_manage_access_shows_the_counts(client, document):
    link = make_link(document, [ALICE, BOB], max_downloads=3, max_opens=5)
    visitor = Client()
    verify(visitor, link, ALICE)
    visitor.get(landing_url(link))
    visitor.get(download_url(link))
    client.force_login(make_user("root", superuser=True))
    html = client.get(
        reverse("wagtail_securelink_admin:manage_document", args=[document.pk])
    ).content.decode()
    assert "limit 3 per person" in html
    assert "5 per person" in html
    assert "Use of the link&#x27;s limits, per person" in html or "per person" in html
    assert "1 of 3" in html  # Alice's downloads
    assert "0 of 3" in html  # Bob's
    assert "1 of 5" in html  # Alice's opens


def test_the_share_form_sets_watermarks_and_limits(client, document):
    client.force_login(make_user("root", superuser=True))
    url = reverse("wagtail_securelink_admin:share_document", args=[document.pk])
    form = client.get(url).content.decode()
    assert re.search(r'<input[^>]*name="watermark"[^>]*checked', form)  # the policy
    assert 'name="max_downloads"' in form and 'name="max_opens"' in form
    response = client.post(
        url,
        {
            "audience": "specific",
            "recipients": ALICE,
            "role": "view",
            "watermark": "on",
            "watermark_downloads": "on",
            "max_opens": "4",
            "max_downloads": "1",
        },
    )
    assert response.status_code in (200, 302)
    link = ShareLink.objects.get()
    assert (link.watermark, link.watermark_downloads) == (True, True)
    assert (link.max_opens, link.max_downloads) == (4, 1)


def test_the_share_form_refuses_a_limit_below_one(client, document):
    client.force_login(make_user("root", superuser=True))
    url = reverse("wagtail_securelink_admin:share_document", args=[document.pk])
    response = client.post(
        url,
        {
            "audience": "specific",
            "recipients": ALICE,
            "role": "view",
            "max_downloads": "0",
        },
    )
    assert response.status_code == 200
    assert not ShareLink.objects.exists()
