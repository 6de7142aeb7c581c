"""Email delivery through the tasks framework Wagtail uses (``django_tasks``).

Tasks take row ids only: no code, token or address ever sits in a task queue. With
the immediate backend (the default) they run in-process; with a real backend a worker
delivers them and requests never wait on SMTP.
"""

from django_tasks import task

__all__ = [
    "send_code_email",
    "send_invitation_email",
    "send_sign_in_email",
    "enqueue",
    "enqueue_off_request",
]


@task()
def send_code_email(code_id: int) -> str:
    from .verification import deliver_code

    return deliver_code(code_id)


@task()
def send_invitation_email(recipient_id: int) -> str:
    from .services import deliver_invitation

    return deliver_invitation(recipient_id)


@task()
def send_sign_in_email(recipient_id: int) -> str:
    from .verification import deliver_sign_in_reminder

    return deliver_sign_in_reminder(recipient_id)


def enqueue(task_obj, *args):
    from .conf import settings
    from .recovery import maybe_recover

    maybe_recover()  # a task a dead worker left running goes out again
    return task_obj.using(backend=settings.TASK_BACKEND).enqueue(*args)


def enqueue_off_request(task_obj, *args) -> None:
    """Enqueue an email that nobody waits for: off the request cycle (``delivery``)."""
    from .delivery import enqueue_off_request as submit

    submit(task_obj, *args)
