"""Email tasks whose worker died are run again.

django-tasks-db marks a task RUNNING when a worker claims it, and only that worker
ever finishes the row: a worker killed in the middle (SIGKILL, OOM killer, power
cut) leaves the row RUNNING for good, and the email (an invitation, a code) was
simply lost. Here, a RUNNING row of one of our email tasks older than
``WAGTAIL_SECURELINK_TASK_STALE_AFTER`` seconds is marked FAILED (``WorkerLost``) by
one conditional UPDATE, so of several processes sweeping at once exactly one takes
it, and the same task is enqueued again with the same row ids.

Running a task twice is safe: ``deliver_code`` sends a code row only while it is not
confirmed as delivered and no newer code exists (so the visitor gets the *same* code,
never two that both work), and an invitation is only an invitation. The one window
left is a kill after the mail server accepted the message and before the database
recorded it: the same email may then arrive twice (still one code).

Sweeps run from the web processes (at most once a minute each, when they enqueue an
email) and from ``securelink_purge``. Other task backends keep their own recovery.
"""

import datetime
import logging
import threading
import time

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from wagtail_securelink.conf import settings

__all__ = ["EMAIL_TASK_PATHS", "WorkerLost", "recover_stalled_tasks", "maybe_recover"]

logger = logging.getLogger(__name__)

SWEEP_EVERY = 60  # seconds, per process
_last_sweep = 0.0
_lock = threading.Lock()


class WorkerLost(RuntimeError):
    """The worker that ran this task stopped before finishing it; it was run again."""


# Our email tasks, by their ``django_tasks`` path. Strings, not imports: the modules
# that define the tasks enqueue through ``tasks.background``, which sweeps from here.
# tests/tasks/test_recovery.py checks that each one names a task.
EMAIL_TASK_PATHS = (
    "wagtail_securelink.verification.emails.send_code_email",
    "wagtail_securelink.verification.emails.send_sign_in_email",
    "wagtail_securelink.mail.invitations.send_invitation_email",
)


def _database_backend():
    if not apps.is_installed("django_tasks_db"):
        return None
    from django_tasks import task_backends
    from django_tasks_db import DatabaseBackend

    backend = task_backends[settings.TASK_BACKEND]
    return backend if isinstance(backend, DatabaseBackend) else None


def recover_stalled_tasks(now=None, stale_after=None) -> int:
    """Run again the email tasks left RUNNING by a dead worker. Returns how many."""
    backend = _database_backend()
    if backend is None:
        return 0
    from django.utils.module_loading import import_string
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    stale_after = settings.TASK_STALE_AFTER if stale_after is None else stale_after
    cutoff = now - datetime.timedelta(seconds=stale_after)
    stalled = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING,
        task_path__in=EMAIL_TASK_PATHS,
        started_at__lt=cutoff,
        backend_name=backend.alias,
    ).values_list("pk", "task_path", "args_kwargs", "started_at")
    count = 0
    for pk, path, args_kwargs, started_at in list(stalled):
        with transaction.atomic():
            taken = DBTaskResult.objects.filter(
                pk=pk, status=TaskResultStatus.RUNNING, started_at=started_at
            ).update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__name__}",
                traceback=f"WorkerLost: still running after {stale_after} s; "
                "enqueued again",
            )
            if not taken:
                continue  # another process swept it
            import_string(path).using(backend=backend.alias).enqueue(
                *args_kwargs.get("args", []), **args_kwargs.get("kwargs", {})
            )
        logger.warning("Email task %s was lost with its worker: enqueued again", pk)
        count += 1
    return count


def maybe_recover() -> None:
    """A sweep at most once a minute per process; never fails the caller."""
    global _last_sweep
    with _lock:
        if time.monotonic() - _last_sweep < SWEEP_EVERY:
            return
        _last_sweep = time.monotonic()
    try:
        recover_stalled_tasks()
    except Exception:
        logger.exception("Stalled email tasks could not be recovered")
