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
from tests.helpers import CODE_RE, request_code, send_code_url
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


QUEUED = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def queued_paths():
    from django_tasks import task_backends

    return [result.task.module_path for result in task_backends["default"].results]


@pytest.mark.django_db
def test_a_code_request_queues_the_same_one_task_for_every_address(settings):
    """What the request itself does after its answer is one task, whoever typed what:
    the address-dependent work (counters, the code, its email) is in that task (S7)."""
    from django_tasks import task_backends

    from wagtail_securelink.models import AccessEvent, VerificationCode
    from wagtail_securelink.verification.requests import prepare_code_task

    settings.TASKS = QUEUED
    link = make_link(make_document("Contract"), ["alice@example.com"])
    for address in ("alice@example.com", "eve@example.org"):
        task_backends["default"].clear()
        events_before = AccessEvent.objects.count()
        response = Client().post(send_code_url(link), {"email": address})
        assert response.status_code == 303
        assert queued_paths() == [prepare_code_task.module_path], address
        assert not VerificationCode.objects.exists()
        assert AccessEvent.objects.count() == events_before
    # The typed address travels in the task (a worker needs it), never a code.
    assert task_backends["default"].results[0].args[1] == "eve@example.org"


@pytest.mark.django_db
def test_sealing_is_one_deferred_task_per_delay_on_a_real_backend(
    settings, django_capture_on_commit_callbacks
):
    from django_tasks import task_backends

    from wagtail_securelink.audit import events

    settings.TASKS = QUEUED
    settings.WAGTAIL_SECURELINK_AUDIT_SEAL_DELAY = 5
    task_backends["default"].clear()
    events._sealing_queued_at = float("-inf")
    before = timezone.now()
    # Outside a request the task waits for the commit.
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(3):
            events.record_event("downloaded", email=f"v{i}@example.com")
    results = task_backends["default"].results
    assert [r.task.module_path for r in results] == [events.seal_task.module_path]
    run_after = results[0].task.run_after
    assert before + datetime.timedelta(seconds=4) < run_after
    assert run_after < timezone.now() + datetime.timedelta(seconds=6)
