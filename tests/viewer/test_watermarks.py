"""Watermarks on rendered pages and stamped PDF downloads."""

import io
import re

import pypdfium2
import pytest
from django.urls import reverse
from PIL import Image, ImageChops

from tests.factories import make_collection, make_document, make_link, make_user
from tests.helpers import download_url, landing_url, verify, view_url
from tests.pdfs import MALFORMED_PDF, make_pdf
from wagtail_securelink.models import AccessEvent, SecureLinkPolicy, ShareLink
from wagtail_securelink.viewer import rendering, watermarks

ALICE = "alice@example.com"
PDF = make_pdf(2, "Hello")

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    pdf = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


def changed_pixels(a: bytes, b: bytes) -> int:
    diff = ImageChops.difference(
        Image.open(io.BytesIO(a)).convert("L"), Image.open(io.BytesIO(b)).convert("L")
    )
    return diff.point(lambda value: 255 if value > 40 else 0).histogram()[255]


@pytest.fixture
def document():
    return make_document("Contract", filename="contract.pdf", content=PDF)


def page_of(client, link, number=1):
    response = client.get(
        reverse("wagtail_securelink:page_image", args=[link.token, number])
    )
    assert response.status_code == 200
    return response.content


def test_rendered_pages_carry_the_viewer_the_date_and_the_link_id(client, document):
    link = make_link(document, [ALICE], role="view")
    assert link.watermark is True  # the policy's default
    verify(client, link, ALICE)
    html = client.get(landing_url(link)).content.decode()
    assert "Each page shows your address" in html
    served = page_of(client, link)
    base = rendering.get_page(document, 1).image
    assert served != base
    assert changed_pixels(served, base) > 2000  # a watermark, not JPEG noise
    text = watermarks.watermark_text(
        link, type("A", (), {"recipient": link.recipients.get(), "user": None})
    )
    assert ALICE in text and watermarks.short_link_id(link) in text
    event = AccessEvent.objects.filter(link=link, event="viewed").get()
    assert event.detail["watermarked"] is True


def watermark_policy(on: bool):
    policy = SecureLinkPolicy.load()
    policy.watermark_by_default = on
    policy.save()
    return policy


def test_a_link_without_watermark_serves_the_base_render(client, document):
    watermark_policy(False)
    link = make_link(document, [ALICE], role="view", watermark=False)
    verify(client, link, ALICE)
    client.get(landing_url(link))
    assert page_of(client, link) == rendering.get_page(document, 1).image
    event = AccessEvent.objects.filter(link=link, event="viewed").get()
    assert event.detail["watermarked"] is False


def test_the_policy_sets_the_default(document):
    watermark_policy(False)
    assert make_link(document, [ALICE], role="view").watermark is False
    assert make_link(document, [ALICE], role="view", watermark=True).watermark


def test_an_anyone_link_says_so(client, document):
    link = make_link(document, audience="anyone", role="view")
    text = watermarks.watermark_text(
        link, type("A", (), {"recipient": None, "user": None})
    )
    assert text.startswith("anyone link · ")
    assert changed_pixels(page_of(client, link), rendering.get_page(document, 1).image)


def test_downloaded_pdfs_are_stamped_for_the_visitor(client, document):
    link = make_link(document, [ALICE], role="download", watermark_downloads=True)
    verify(client, link, ALICE)
    for url in (download_url(link), view_url(link)):
        response = client.get(url)
        assert response.status_code == 200
        assert response.content != PDF and PDF not in response.content
        text = pdf_text(response.content)
        assert "Hello 1" in text and "Hello 2" in text
        assert text.count(ALICE) >= 4  # on both pages, several times
        assert watermarks.short_link_id(link) in text
    events = AccessEvent.objects.filter(link=link, event__in=["downloaded", "viewed"])
    assert [e.detail.get("watermarked") for e in events] == [True, True]


def test_a_pdf_above_the_cap_is_refused_rather_than_sent_unstamped(client):
    policy = SecureLinkPolicy.load()
    policy.watermark_pdf_max_mb = 1
    policy.save()
    big = make_pdf(1, "Big") + b"%" + b"x" * (1024 * 1024 + 10) + b"\n"
    document = make_document("Big", filename="big.pdf", content=big)
    link = make_link(document, [ALICE], role="download", watermark_downloads=True)
    verify(client, link, ALICE)
    response = client.get(download_url(link))
    assert response.status_code == 403
    assert "too large to be marked" in response.content.decode()
    assert not AccessEvent.objects.filter(link=link, event="downloaded").exists()


def test_an_unreadable_pdf_is_refused_rather_than_sent_unstamped(client):
    document = make_document("Broken", filename="broken.pdf", content=MALFORMED_PDF)
    link = make_link(document, [ALICE], role="download", watermark_downloads=True)
    verify(client, link, ALICE)
    response = client.get(download_url(link))
    assert response.status_code == 403
    assert MALFORMED_PDF[:50] not in response.content
    assert "could not be marked" in response.content.decode()


def test_other_files_and_unstamped_links_download_as_they_are(client, document):
    notes = make_document("Notes", filename="notes.txt", content=b"plain notes")
    link = make_link(notes, [ALICE], role="download", watermark_downloads=True)
    verify(client, link, ALICE)
    assert b"".join(client.get(download_url(link)).streaming_content) == b"plain notes"
    plain = make_link(document, [ALICE], role="download")
    verify(client, plain, ALICE)
    assert b"".join(client.get(download_url(plain)).streaming_content) == PDF


def test_a_zip_is_refused_when_downloads_are_stamped(client):
    folder = make_collection("Shared")
    make_document("Inside", filename="inside.pdf", content=PDF, collection=folder)
    link = make_link(folder, [ALICE], role="download", watermark_downloads=True)
    verify(client, link, ALICE)
    response = client.get(reverse("wagtail_securelink:zip", args=[link.token]))
    assert response.status_code == 403
    assert "Download them one by one" in response.content.decode()


def test_the_policys_watermark_cannot_be_switched_off_per_link(client, document):
    # SPEC §6: with the policy's watermark on, a link may switch it on, never off. The
    # share form without the box, the service (as the API and the CLI call it) with
    # watermark=False: both make a watermarked link.
    root = make_user("root", superuser=True)
    client.force_login(root)
    url = reverse("wagtail_securelink_admin:share_document", args=[document.pk])
    form = client.get(url).content.decode()
    assert re.search(r'<input[^>]*name="watermark"[^>]*disabled', form)
    response = client.post(
        url, {"audience": "specific", "recipients": ALICE, "role": "view"}
    )
    assert response.status_code in (200, 302)
    from_form = ShareLink.objects.get()
    from_service = make_link(
        make_document("Other", filename="other.pdf", content=PDF),
        [ALICE],
        role="view",
        watermark=False,
    )
    assert from_form.watermark is True and from_service.watermark is True
    client.logout()
    verify(client, from_form, ALICE)
    client.get(landing_url(from_form))
    assert page_of(client, from_form) != rendering.get_page(document, 1).image


def test_an_existing_unwatermarked_link_follows_the_policy(client, document):
    watermark_policy(False)
    link = make_link(document, [ALICE], role="view", watermark=False)
    verify(client, link, ALICE)
    client.get(landing_url(link))
    base = rendering.get_page(document, 1).image
    assert page_of(client, link) == base
    watermark_policy(True)
    assert changed_pixels(page_of(client, link), base) > 2000
    events = AccessEvent.objects.filter(link=link, event="viewed").order_by("pk")
    assert [e.detail["watermarked"] for e in events] == [False, True]


@pytest.mark.parametrize("verified", [False, True])
def test_an_organization_link_stamps_what_the_site_knows(
    client, document, settings, verified
):
    # A site user who set their own account address to someone else's, unproven: the
    # pages must not name that person (S17); the username is the site's own.
    from django.utils import timezone

    settings.WAGTAIL_SECURELINK_ACCOUNT_EMAILS_VERIFIED = verified
    link = make_link(document, audience="organization", role="view")
    client.force_login(make_user("vera.k", email="vera@ext.test"))
    assert client.get(landing_url(link)).status_code == 200
    who = "vera@ext.test" if verified else "vera.k"
    expected = f"{who} · {timezone.localdate().isoformat()} · "
    expected += watermarks.short_link_id(link)
    base = rendering.get_page(document, 1).image
    # The served page is the base render stamped with exactly that text.
    assert page_of(client, link) == watermarks.stamp_image(base, expected)
