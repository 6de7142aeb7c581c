"""access.py: who may open a link, checked against the database on every request
(SPEC §3, S9): the grant, its reverification period, revoking and signing out."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_link
from tests.helpers import ALICE, download_url, landing_url, verify
from wagtail_securelink import services
from wagtail_securelink.models import Grant, ShareLink

pytestmark = pytest.mark.django_db


def test_reverification_period_asks_for_a_new_code(client, link):
    verify(client, link, ALICE)
    assert b"Download" in client.get(landing_url(link)).content
    with time_machine.travel(timezone.now() + datetime.timedelta(days=15, seconds=1)):
        page = client.get(landing_url(link))
        assert b"Confirm your email address" in page.content
        assert ALICE.encode() in page.content  # the address is pre-filled
        assert client.get(download_url(link)).status_code == 302


def test_revoking_ends_access_on_next_request(client, link):
    verify(client, link, ALICE)
    assert client.get(download_url(link)).status_code == 200
    services.revoke_link(link)
    response = client.get(download_url(link))
    assert response.status_code == 404
    assert b"This link has been removed or has expired" in response.content


def test_sign_out_ends_the_grant(client, link):
    verify(client, link, ALICE)
    response = client.post(reverse("wagtail_securelink:sign_out", args=[link.token]))
    assert response.status_code == 200
    assert Grant.objects.get().ended_at is not None
    assert client.get(download_url(link)).status_code == 302


def test_a_links_own_shorter_reverification_period_wins(client, link):
    # The site's period is 15 days; this link asks again after 2.
    ShareLink.objects.filter(pk=link.pk).update(reverification_days=2)
    verify(client, link, ALICE)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1)):
        assert client.get(download_url(link)).status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2, seconds=1)):
        assert client.get(download_url(link)).status_code == 302
        assert b"Confirm your email address" in client.get(landing_url(link)).content


def test_a_links_longer_reverification_period_cannot_exceed_the_sites(client, link):
    ShareLink.objects.filter(pk=link.pk).update(reverification_days=90)
    verify(client, link, ALICE)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=15, seconds=1)):
        assert client.get(download_url(link)).status_code == 302


def test_a_token_that_names_no_link_gets_the_removed_page(client):
    for token in ("not-a-link", "A" * 40):
        response = client.get(reverse("wagtail_securelink:landing", args=[token]))
        assert response.status_code == 404
        assert b"This link has been removed or has expired" in response.content


def test_a_grant_is_for_its_own_link_only(client, link):
    verify(client, link, ALICE)
    grant = Grant.objects.get()
    assert (grant.link_id, grant.recipient.email) == (link.pk, ALICE)
    other = make_link(link.document, [ALICE])
    # The same browser, the same person: the other link still asks who they are.
    assert client.get(download_url(other)).status_code == 302
