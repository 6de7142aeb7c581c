"""Work that follows a response: one way for all of it, through ``django_tasks``.

Every piece of work the package does after answering (the code a visitor asked for,
the emails, the notices to sharers, sealing the audit chain) is a ``django_tasks``
task handed to ``later()``:

* Inside a request, the task waits until the response has been sent
  (``request_finished``, which the WSGI server fires by closing the response). The
  request itself then does the same work for every visitor, so neither a page nor its
  timing tells a listed address from an unlisted one (S7).
* Outside a request (a command, a worker), the task waits for the current
  transaction to commit, so it never reads rows that are not there yet.
* It is then handed to the site's task backend (``WAGTAIL_SECURELINK_TASK_BACKEND``).
  A real backend (a worker process) simply gets it; ``run_after`` carries a delay when
  the backend supports one.
* With the immediate backend, the default, a task would run where it is enqueued: in
  the response's ``close()``, before a sync WSGI worker closes the socket, so the
  connection of a listed address would close one SMTP round trip later than an
  unlisted one's. Here the task is recorded in the database first
  (``PendingDelivery``: the task's path and its arguments, never a code), then run by
  one background thread per process, which deletes the row. Nothing is lost when the
  process stops: at exit the thread is given ``SHUTDOWN_WAIT`` seconds to finish its
  queue; what is still recorded then is run by the next process that starts one (its
  thread sweeps rows older than ``LEFTOVER_AFTER``) or by ``securelink_purge``. A row is
  claimed by a conditional UPDATE before it runs, so two processes never run it both,
  except a row claimed by a process that died mid-run, which is run again after
  ``STALE_CLAIM`` (an email may then arrive twice; a code never does: ``deliver_code``
  claims its code row too).
* Inside an atomic block (a test, a caller's transaction), the immediate backend runs
  the task inline, as ``django_tasks`` does: a thread's own connection could not see
  the rows it needs until the commit.
"""

import atexit
import datetime
import heapq
import itertools
import logging
import queue
import threading
import time
from contextvars import ContextVar

from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task_backends
from django_tasks.backends.immediate import ImmediateBackend

from wagtail_securelink.conf import settings
from wagtail_securelink.models import PendingDelivery
from wagtail_securelink.tasks.recovery import maybe_recover

__all__ = [
    "later",
    "dispatch",
    "enqueue",
    "on_request_started",
    "on_request_finished",
    "run_leftovers",
    "flush",
    "drain",
]

logger = logging.getLogger(__name__)

LEFTOVER_AFTER = datetime.timedelta(minutes=1)
STALE_CLAIM = datetime.timedelta(minutes=10)
SHUTDOWN_WAIT = 20  # seconds

# Tasks raised while a request is served; ``None`` outside a request.
_pending: ContextVar[list | None] = ContextVar("securelink_later", default=None)


def on_request_started(sender=None, **kwargs) -> None:
    _pending.set([])


def on_request_finished(sender=None, **kwargs) -> None:
    pending = _pending.get()
    # A task run inline here (inside a test's transaction) may raise more: they join
    # the same list, so they too wait for nothing but this loop.
    while pending:
        task_obj, args, delay = pending.pop(0)
        _dispatch(task_obj, args, delay)
    _pending.set(None)


def later(task_obj, *args, delay: float = 0) -> None:
    """Run the task ``task_obj(*args)`` after the response (or the commit), off the
    request path; ``delay`` seconds later at the earliest when given."""
    pending = _pending.get()
    if pending is not None:
        pending.append((task_obj, args, delay))
    else:
        transaction.on_commit(lambda: _dispatch(task_obj, args, delay))


def dispatch(task_obj, *args) -> None:
    """Hand ``task_obj(*args)`` to the backend now: for callers outside any request
    and transaction (a command queuing its notices)."""
    _dispatch(task_obj, args, 0)


def enqueue(task_obj, *args):
    """Enqueue a task someone waits to hear about (an invitation) on the configured
    backend now, and return its result."""
    maybe_recover()  # a task a dead worker left running goes out again
    return task_obj.using(backend=settings.TASK_BACKEND).enqueue(*args)


def _immediate(alias: str) -> bool:
    return isinstance(task_backends[alias], ImmediateBackend)


def _dispatch(task_obj, args, delay: float) -> None:
    # A queue outage or a broken task must never break the request that raised it.
    try:
        maybe_recover()
        alias = settings.TASK_BACKEND
        if not _immediate(alias):
            if delay > 0 and task_backends[alias].supports_defer:
                run_after = timezone.now() + datetime.timedelta(seconds=delay)
                task_obj = task_obj.using(run_after=run_after)
            task_obj.using(backend=alias).enqueue(*args)
        elif not settings.BACKGROUND_DELIVERY or connection.in_atomic_block:
            task_obj.using(backend=alias).enqueue(*args)
        else:
            row = PendingDelivery.objects.create(
                task=task_obj.module_path, args=list(args)
            )
            _ensure_thread()
            _queue.put((time.monotonic() + max(delay, 0), row.pk))
    except Exception:
        logger.exception("Task %s could not be run or queued", task_obj.module_path)


# The background thread of the immediate backend.
_queue: queue.Queue = queue.Queue()
_thread: threading.Thread | None = None
_lock = threading.Lock()
_STOP = (0.0, None)


def _ensure_thread() -> None:
    global _thread
    with _lock:
        if _thread is not None and _thread.is_alive():
            return
        _thread = threading.Thread(
            target=_work, name="wagtail-securelink-tasks", daemon=True
        )
        _thread.start()


def _work() -> None:
    try:
        run_leftovers()  # what a process that stopped left behind
    except Exception:
        logger.exception("Leftover tasks could not be run")
    waiting: list[tuple[float, int, int]] = []  # (due, order, pk): delayed tasks
    order = itertools.count()
    stopping = False
    while True:
        timeout = max(0.0, waiting[0][0] - time.monotonic()) if waiting else None
        try:
            due, pk = _queue.get(timeout=None if stopping else timeout)
        except queue.Empty:
            pass
        else:
            if pk is None:
                stopping = True  # at exit, what waits runs now
                _queue.task_done()
            else:
                heapq.heappush(waiting, (due, next(order), pk))
        while waiting and (stopping or waiting[0][0] <= time.monotonic()):
            _due, _order, pk = heapq.heappop(waiting)
            try:
                _run(pk)
            except Exception:
                logger.exception("A background task failed")
            finally:
                connections.close_all()  # this thread's connections only
                _queue.task_done()
        if stopping and not waiting:
            return


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
    """Run the tasks that a stopped process left behind. Returns how many ran."""
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
    """Wait until this process's queue is empty (tests, benchmarks). True when it is."""
    with _queue.all_tasks_done:
        return _queue.all_tasks_done.wait_for(
            lambda: _queue.unfinished_tasks == 0, timeout
        )


def drain(timeout: float = SHUTDOWN_WAIT) -> bool:
    """Let the thread run what it holds, delayed tasks included, then stop it. True
    when nothing is left."""
    thread = _thread
    if thread is None or not thread.is_alive():
        return True
    _queue.put(_STOP)
    thread.join(timeout)
    return not thread.is_alive()


atexit.register(drain)
