"""Delivering a code from a task worker (SPEC §9: email through a real task backend).

With a worker, the request that makes a code and the process that emails it are two
processes: these tests queue the task (django-tasks' dummy backend keeps it) and run
the delivery by hand, as ``db_worker`` would.
"""

import re
import threading

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django_tasks import task_backends

from tests.helpers import enter_code_url, request_code
from wagtail_securelink.models import Grant, VerificationCode
from wagtail_securelink.verification.emails import deliver_code
from wagtail_securelink.verification.requests import prepare_code_task

CODE_RE = re.compile(r"Your code is (\d+)")
QUEUED = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
ALICE = "alice@example.com"


def work_off_code_requests():
    """What a worker does first: the code request's own task makes the code and
    queues its email (kept by the dummy backend, like every other task here)."""
    queued = task_backends["default"].results
    for result in [
        r for r in queued if r.task.module_path == prepare_code_task.module_path
    ]:
        queued.remove(result)
        result.task.call(*result.args, **result.kwargs)


class TypedAtOnce(BaseEmailBackend):
    """The mail server hands the code to the visitor, who types it in before the
    worker's ``send`` has even returned."""

    visitor = None
    link = None
    status = None

    def send_messages(self, messages):
        code = CODE_RE.search(messages[0].body).group(1)
        cls = type(self)
        cls.status = cls.visitor.post(
            enter_code_url(cls.link), {"code": code}
        ).status_code
        return len(messages)


@pytest.mark.django_db
def test_a_code_works_as_soon_as_its_email_leaves(client, link, settings):
    settings.TASKS = QUEUED
    request_code(client, link, ALICE)
    work_off_code_requests()
    code = VerificationCode.objects.get()
    assert code.sent_at is None  # queued, not sent

    settings.EMAIL_BACKEND = f"{__name__}.TypedAtOnce"
    TypedAtOnce.visitor, TypedAtOnce.link, TypedAtOnce.status = client, link, None
    assert deliver_code(code.pk) == "sent"
    assert TypedAtOnce.status == 303
    assert Grant.objects.count() == 1


class HeldAtTheMailServer(LocmemBackend):
    """Keeps the first delivery inside ``send`` until the test lets it go."""

    entered = threading.Event()
    release = threading.Event()

    def send_messages(self, messages):
        type(self).entered.set()
        assert type(self).release.wait(timeout=30)
        return super().send_messages(messages)


@pytest.mark.django_db(transaction=True)
def test_a_code_is_sent_once_when_its_task_runs_twice(client, link, settings):
    """Two runs of one task (a retry, two workers): the second finds the code claimed."""
    settings.TASKS = QUEUED
    request_code(client, link, ALICE)
    work_off_code_requests()
    code = VerificationCode.objects.get()
    settings.EMAIL_BACKEND = f"{__name__}.HeldAtTheMailServer"
    HeldAtTheMailServer.entered.clear()
    HeldAtTheMailServer.release.clear()
    results = []
    first = threading.Thread(target=lambda: results.append(deliver_code(code.pk)))
    first.start()
    try:
        assert HeldAtTheMailServer.entered.wait(timeout=30)
        assert deliver_code(code.pk) == "skipped"
    finally:
        HeldAtTheMailServer.release.set()
        first.join(timeout=30)
    assert results == ["sent"]
    assert len(mail.outbox) == 1


def test_a_code_whose_worker_died_mid_send_is_sent_again_once(client, link, settings):
    """A run killed between the claim and the confirmation (sent_at set,
    never confirmed) is sent again by the recovered task, the same code; a run still
    within TASK_STALE_AFTER, a confirmed code or an older code are never sent again."""
    import datetime

    import time_machine
    from django.utils import timezone

    from tests.helpers import enter_code_url

    settings.WAGTAIL_SECURELINK_TASK_STALE_AFTER = 60
    mail.outbox.clear()
    request_code(client, link, "alice@example.com")
    code = VerificationCode.objects.get()
    mail.outbox.clear()
    # What a killed worker leaves: claimed, not confirmed.
    VerificationCode.objects.filter(pk=code.pk).update(
        sent_at=timezone.now(), invalidated_at=None
    )
    type(code.recipient).objects.filter(pk=code.recipient_id).update(
        last_code_sent_at=None
    )
    assert deliver_code(code.pk) == "skipped"  # maybe still sending: never twice
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=61)):
        assert deliver_code(code.pk) == "sent"
        assert deliver_code(code.pk) == "skipped"  # confirmed now
    assert len(mail.outbox) == 1
    typed = re.search(r"(\d{6,10})", mail.outbox[0].body).group(1)
    assert client.post(enter_code_url(link), {"code": typed}).status_code == 303
