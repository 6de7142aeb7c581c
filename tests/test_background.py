"""Work off the request cycle (``tasks.background``, S7): recorded first, run by a
background thread, and run again by the next process or ``securelink_purge`` when a
process stopped before it got to it."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.factories import make_document, make_link
from tests.helpers import CODE_RE, request_code
from wagtail_securelink.models import PendingDelivery, Recipient
from wagtail_securelink.tasks import background as delivery


@pytest.mark.django_db
def test_a_delivery_left_by_a_stopped_process_is_run_by_purge():
    link = make_link(make_document("Contract"), ["alice@example.com"])
    recipient = Recipient.objects.get(link=link)
    PendingDelivery.objects.create(
        task="wagtail_securelink.mail.notifications.first_open_task",
        args=[recipient.pk],
        created_at=timezone.now() - datetime.timedelta(minutes=2),
    )
    fresh = PendingDelivery.objects.create(
        task="wagtail_securelink.mail.notifications.first_open_task",
        args=[recipient.pk],
    )
    call_command("securelink_purge", stdout=open("/dev/null", "w"))
    assert [m.to for m in mail.outbox] == [["owner@example.com"]]
    # A fresh row belongs to a live process's queue: left alone.
    assert list(PendingDelivery.objects.values_list("pk", flat=True)) == [fresh.pk]


@pytest.mark.django_db
def test_a_claim_of_a_process_that_died_is_run_again_later():
    link = make_link(make_document("Contract"), ["alice@example.com"])
    recipient = Recipient.objects.get(link=link)
    long_ago = timezone.now() - datetime.timedelta(minutes=30)
    PendingDelivery.objects.create(
        task="wagtail_securelink.mail.notifications.first_open_task",
        args=[recipient.pk],
        created_at=long_ago,
        claimed_at=long_ago,
    )
    assert delivery.run_leftovers() == 1
    assert len(mail.outbox) == 1
    assert not PendingDelivery.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_code_goes_out_from_the_background_thread():
    from wagtail.models import Collection

    Collection.get_first_root_node() or Collection.add_root(name="Root")
    link = make_link(make_document(), ["alice@example.com"])
    request_code(Client(), link, "alice@example.com")  # waits for delivery.flush()
    assert delivery._thread is not None and delivery._thread.is_alive()
    assert [m.to for m in mail.outbox if CODE_RE.search(m.body)] == [
        ["alice@example.com"]
    ]
    assert not PendingDelivery.objects.exists()
