"""Visitor-facing email off the request cycle, for the embedded default (S7).

With the immediate task backend (the default), a task runs where it is enqueued. Run
in the response's ``close()``, the code email would go after the body was sent but
before a sync WSGI worker (gunicorn's) closes the socket, so the connection of a
listed address would close one SMTP round trip later than an unlisted one's. So the
task is recorded in the database first (``PendingDelivery``: the task's path and row
ids), then handed to one background thread per process, which runs it and deletes the
row. The request only inserts a row, whatever the address.

Nothing is lost when the process stops: at exit the thread is given
``SHUTDOWN_WAIT`` seconds to finish its queue; whatever is still recorded then is run
by the next process that starts delivering (its thread sweeps rows older than
``LEFTOVER_AFTER``) or by ``securelink_purge``. A row is claimed by a conditional
UPDATE before it runs, so two processes never run it both — except a row claimed by a
process that died mid-send, which is run again after ``STALE_CLAIM``: an email may then
arrive twice (a code email never does: ``deliver_code`` claims its code row too).

With a real task backend (a worker process), tasks are simply enqueued there. Inside
an atomic block (a test, a caller's transaction) the task runs inline as before: a
thread's own connection could not see the rows it needs until the commit.
"""

import atexit
import datetime
import logging
import queue
import threading

from django.db import connection, connections
from django.utils import timezone
from django.utils.module_loading import import_string

from wagtail_securelink.conf import settings
from wagtail_securelink.mail.recovery import maybe_recover
from wagtail_securelink.models import PendingDelivery

__all__ = ["enqueue", "enqueue_off_request", "run_leftovers", "flush", "drain"]

logger = logging.getLogger(__name__)

LEFTOVER_AFTER = datetime.timedelta(minutes=1)
STALE_CLAIM = datetime.timedelta(minutes=10)
SHUTDOWN_WAIT = 20  # seconds

_queue: queue.Queue = queue.Queue()
_thread: threading.Thread | None = None
_lock = threading.Lock()


def _immediate(alias: str) -> bool:
    from django_tasks import task_backends
    from django_tasks.backends.immediate import ImmediateBackend

    return isinstance(task_backends[alias], ImmediateBackend)


def enqueue(task_obj, *args):
    """Enqueue an email someone waits for (an invitation) on the configured backend."""
    maybe_recover()  # a task a dead worker left running goes out again
    return task_obj.using(backend=settings.TASK_BACKEND).enqueue(*args)


def enqueue_off_request(task_obj, *args) -> None:
    """Run ``task_obj(*args)`` without holding up the request or its connection."""
    maybe_recover()  # a task a dead worker left running goes out again
    alias = settings.TASK_BACKEND
    if (
        not settings.BACKGROUND_DELIVERY
        or connection.in_atomic_block
        or not _immediate(alias)
    ):
        task_obj.using(backend=alias).enqueue(*args)
        return
    row = PendingDelivery.objects.create(task=task_obj.module_path, args=list(args))
    _ensure_thread()
    _queue.put(row.pk)


def _ensure_thread() -> None:
    global _thread
    with _lock:
        if _thread is not None and _thread.is_alive():
            return
        _thread = threading.Thread(
            target=_work, name="wagtail-securelink-delivery", daemon=True
        )
        _thread.start()


def _work() -> None:
    try:
        run_leftovers()  # what a process that stopped left behind
    except Exception:
        logger.exception("Leftover deliveries could not be run")
    while True:
        pk = _queue.get()
        try:
            if pk is None:
                return
            _run(pk)
        except Exception:
            logger.exception("A delivery failed")
        finally:
            connections.close_all()  # this thread's connections only
            _queue.task_done()


def _run(pk: int, claimed_before=None) -> bool:
    claim = PendingDelivery.objects.filter(pk=pk)
    if claimed_before is None:
        claim = claim.filter(claimed_at__isnull=True)
    else:
        claim = claim.filter(claimed_at__lt=claimed_before)
    if not claim.update(claimed_at=timezone.now()):
        return False  # another process has it
    row = PendingDelivery.objects.get(pk=pk)
    try:
        import_string(row.task).using(backend=settings.TASK_BACKEND).enqueue(*row.args)
    finally:
        PendingDelivery.objects.filter(pk=pk).delete()
    return True


def run_leftovers(now=None) -> int:
    """Run the deliveries that a stopped process left behind. Returns how many ran."""
    now = now or timezone.now()
    count = 0
    unclaimed = PendingDelivery.objects.filter(
        claimed_at__isnull=True, created_at__lt=now - LEFTOVER_AFTER
    ).values_list("pk", flat=True)
    for pk in list(unclaimed):
        count += _run(pk)
    stale = PendingDelivery.objects.filter(
        claimed_at__lt=now - STALE_CLAIM
    ).values_list("pk", flat=True)
    for pk in list(stale):
        count += _run(pk, claimed_before=now - STALE_CLAIM)
    return count


def flush(timeout: float = 10) -> bool:
    """Wait until this process's queue is empty (tests, shutdown). True when it is."""
    with _queue.all_tasks_done:
        return _queue.all_tasks_done.wait_for(
            lambda: _queue.unfinished_tasks == 0, timeout
        )


def drain(timeout: float = SHUTDOWN_WAIT) -> bool:
    """Let the thread finish its queue, then stop it. True when nothing is left."""
    thread = _thread
    if thread is None or not thread.is_alive():
        return True
    _queue.put(None)
    thread.join(timeout)
    return not thread.is_alive()


atexit.register(drain)
