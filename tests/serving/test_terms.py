"""Terms a visitor accepts before the item shows."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_document, make_link, make_user
from tests.helpers import download_url, landing_url, verify
from tests.pdfs import make_pdf
from wagtail_securelink.models import AccessEvent, SecureLinkPolicy, ShareLink
from wagtail_securelink.serving.limits import terms_version

ALICE = "alice@example.com"
PDF = make_pdf(1, "Secret plan")
NDA = "You will not share this document.\nConfidential until 2030."

pytestmark = pytest.mark.django_db


def accept_url(link):
    return reverse("wagtail_securelink:accept_terms", args=[link.token])


@pytest.fixture
def document():
    return make_document("Plan", filename="plan.pdf", content=PDF)


@pytest.fixture
def link(document):
    return make_link(document, [ALICE], terms=NDA)


def test_the_item_shows_only_after_the_terms_are_accepted(client, link):
    verify(client, link, ALICE)
    page = client.get(landing_url(link))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Terms to accept" in html and "Confidential until 2030." in html
    assert "Secret plan" not in html and download_url(link) not in html
    # Nothing of the item by another road either.
    download = client.get(download_url(link))
    assert b"Secret plan" not in download.content and PDF not in download.content
    assert b"Terms to accept" in download.content
    image = client.get(reverse("wagtail_securelink:page_image", args=[link.token, 1]))
    assert image["Content-Type"].startswith("text/html")
    # Refusing (or forgetting the box) is a clear 400.
    refused = client.post(accept_url(link), {})
    assert refused.status_code == 400
    assert "Tick the box" in refused.content.decode()
    assert not AccessEvent.objects.filter(event="terms_accepted").exists()
    accepted = client.post(accept_url(link), {"accept": "yes"})
    assert accepted.status_code == 303 and accepted["Location"] == landing_url(link)
    html = client.get(landing_url(link)).content.decode()
    assert "Terms to accept" not in html and download_url(link) in html
    assert b"".join(client.get(download_url(link)).streaming_content) == PDF
    event = AccessEvent.objects.get(event="terms_accepted")
    assert event.email == ALICE and event.link_id == link.pk
    assert event.detail == {"terms_version": terms_version(NDA)}


def test_a_visitor_without_access_cannot_accept(link):
    stranger = Client()
    response = stranger.post(accept_url(link), {"accept": "yes"})
    assert response.status_code == 302
    assert not AccessEvent.objects.filter(event="terms_accepted").exists()


def test_new_terms_are_asked_again(client, link):
    verify(client, link, ALICE)
    client.post(accept_url(link), {"accept": "yes"})
    ShareLink.objects.filter(pk=link.pk).update(terms=NDA + "\nAnd one more rule.")
    assert "And one more rule." in client.get(landing_url(link)).content.decode()


def test_the_policy_gives_the_default_terms(client, document):
    policy = SecureLinkPolicy.load()
    policy.default_terms = "Default NDA"
    policy.save()
    assert make_link(document, [ALICE]).terms == "Default NDA"
    assert make_link(document, [ALICE], terms="").terms == ""
    client.force_login(make_user("root", superuser=True))
    form = client.get(
        reverse("wagtail_securelink_admin:share_document", args=[document.pk])
    )
    assert "Default NDA</textarea>" in form.content.decode()


def test_acceptances_show_in_manage_access_and_the_report_export(
    client, link, document
):
    visitor = Client()
    verify(visitor, link, ALICE)
    visitor.post(accept_url(link), {"accept": "yes"})
    client.force_login(make_user("root", superuser=True))
    html = client.get(
        reverse("wagtail_securelink_admin:manage_document", args=[document.pk])
    ).content.decode()
    assert f"Accepted by {ALICE}" in html and terms_version(NDA) in html
    response = client.get(
        reverse("wagtail_securelink_admin:activity"),
        {"export": "csv", "event": ["terms_accepted"]},
    )
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert table[0][-1] == "Terms version"
    assert table[1][1] == "Terms accepted" and table[1][4] == ALICE
    assert table[1][-1] == terms_version(NDA)
