"""The optional notice to the sharer on downloads, one email an hour at most."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from tests.factories import make_document, make_link
from tests.helpers import download_url, verify
from wagtail_securelink.models import ShareLink
from wagtail_securelink.tasks import background as delivery

ALICE = "alice@example.com"
BOB = "bob@example.com"

pytestmark = pytest.mark.django_db


def notices():
    delivery.flush()
    return [m for m in mail.outbox if "downloaded" in m.subject]


def download(client, link):
    response = client.get(download_url(link))
    assert response.status_code == 200
    # Reading the body to its end finishes the request: the deferred notice is queued.
    b"".join(response.streaming_content)


def test_a_busy_link_sends_one_email_an_hour_listing_every_download():
    document = make_document("Plan")
    link = make_link(document, [ALICE, BOB], notify_downloads=True)
    alice, bob = Client(), Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        verify(alice, link, ALICE)
        verify(bob, link, BOB)
        download(alice, link)
        assert len(notices()) == 1
        first = notices()[0]
        assert first.to == ["owner@example.com"]
        assert (
            ALICE in first.body and "at most one of these emails an hour" in first.body
        )
        for minutes, client in ((10, bob), (20, alice), (59, bob)):
            clock.move_to(start + datetime.timedelta(minutes=minutes))
            download(client, link)
        assert len(notices()) == 1  # a busy hour: no more email
        clock.move_to(start + datetime.timedelta(minutes=61))
        download(alice, link)
        assert len(notices()) == 2
        second = notices()[1]
        assert "4 downloads" in second.body  # the three of the hour, and this one
        assert second.body.count(BOB) == 2


def test_off_by_default():
    document = make_document("Plan")
    link = make_link(document, [ALICE])
    assert link.notify_downloads is False
    client = Client()
    verify(client, link, ALICE)
    download(client, link)
    assert notices() == []
    assert ShareLink.objects.get().download_notice_at is None
