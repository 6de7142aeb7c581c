"""Task paths queued before the email tasks moved to their domain modules still run.

A queued row (``django_tasks_db``'s ``DBTaskResult.task_path``, our
``PendingDelivery.task``) stores the task's module path, and the worker imports it:
``tasks.py`` and ``notifications.py`` keep an alias at every path that existed.
"""

import datetime

import pytest
from django.core import mail
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import Task

from tests.factories import make_document, make_link
from wagtail_securelink import (
    access_requests,
    code_emails,
    delivery,
    digest,
    invitations,
    notifications,
)
from wagtail_securelink.models import PendingDelivery, Recipient

# Every task path of the release before the move, and the task it names now.
OLD_PATHS = {
    "wagtail_securelink.tasks.send_code_email": code_emails.send_code_email,
    "wagtail_securelink.tasks.send_sign_in_email": code_emails.send_sign_in_email,
    "wagtail_securelink.tasks.send_invitation_email": (
        invitations.send_invitation_email
    ),
    "wagtail_securelink.notifications.first_open_task": notifications.first_open_task,
    "wagtail_securelink.notifications.unlisted_attempt_task": (
        notifications.unlisted_attempt_task
    ),
    "wagtail_securelink.notifications.expiring_task": notifications.expiring_task,
    "wagtail_securelink.notifications.person_expiring_task": (
        notifications.person_expiring_task
    ),
    "wagtail_securelink.notifications.upload_task": notifications.upload_task,
    "wagtail_securelink.notifications.access_request_task": (
        access_requests.access_request_task
    ),
    "wagtail_securelink.notifications.decline_task": access_requests.decline_task,
    "wagtail_securelink.notifications.digest_task": digest.digest_task,
}


@pytest.mark.parametrize("path", sorted(OLD_PATHS))
def test_an_old_task_path_still_names_the_task(path):
    task = import_string(path)
    assert isinstance(task, Task)
    assert task is OLD_PATHS[path]


@pytest.mark.django_db
def test_an_invitation_queued_under_its_old_path_is_still_sent():
    link = make_link(make_document("Contract"), ["alice@example.com"])
    recipient = Recipient.objects.get(link=link)
    mail.outbox.clear()
    PendingDelivery.objects.create(
        task="wagtail_securelink.tasks.send_invitation_email",
        args=[recipient.pk],
        created_at=timezone.now() - datetime.timedelta(minutes=2),
    )
    assert delivery.run_leftovers() == 1
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
