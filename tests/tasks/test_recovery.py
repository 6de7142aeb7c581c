"""``recovery`` knows our email tasks by path (strings: importing them would close an
import circle through ``delivery``). Every path must name a task, and every email task
must be known under its current path, or a task lost with its worker is never rerun."""

import pytest
from django.utils.module_loading import import_string
from django_tasks.base import Task

from wagtail_securelink.mail import invitations
from wagtail_securelink.tasks.recovery import EMAIL_TASK_PATHS
from wagtail_securelink.verification import emails as code_emails


@pytest.mark.parametrize("path", EMAIL_TASK_PATHS)
def test_each_path_names_a_task(path):
    assert isinstance(import_string(path), Task)


@pytest.mark.parametrize(
    "task",
    [
        code_emails.send_code_email,
        code_emails.send_sign_in_email,
        invitations.send_invitation_email,
    ],
)
def test_each_email_task_is_recovered_under_its_current_path(task):
    assert task.module_path in EMAIL_TASK_PATHS
