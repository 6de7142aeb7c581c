"""What a monitoring system should be told about (``securelink_health``).

Each check returns ``Problem`` rows (empty when healthy) and fills ``metrics`` with the
numbers it looked at, so the command can print one line per problem and a JSON
document. Nothing here writes except the rate-limit probe (one counter hit on a key of
its own, which expires in a minute).
"""

import datetime
import re
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from wagtail_securelink.audit.chain import check_chain, sealing_lag
from wagtail_securelink.choices import EventType
from wagtail_securelink.models import AccessEvent, PendingDelivery
from wagtail_securelink.ratelimit import rules as ratelimits

__all__ = ["Limits", "Problem", "run_checks", "prometheus_text", "CHECKS"]

# Every check's name, as in ``Problem.check``: each one gets a 0/1 series.
CHECKS = (
    "task_queue",
    "tasks_stuck",
    "pending_delivery",
    "send_failures",
    "rate_limiter",
    "rate_limited",
    "lockouts",
    "audit_unsealed",
    "audit_chain",
)


@dataclass
class Limits:
    queue_age: int = 300  # seconds a ready task may wait
    running_age: int = 900  # seconds a task may stay RUNNING (a killed worker's row)
    pending_age: int = 300  # seconds an embedded delivery row may wait
    unsealed_age: int = 60  # seconds an audit event may wait for its seal
    window: int = 60  # minutes over which event rates are counted
    # Emails: failures counted against attempts over a shorter window, so that one
    # refused message among many sent is no alarm and a recovered server clears soon.
    send_window: int = 15  # minutes over which emails sent and failed are counted
    max_send_failures: int = 2  # failures always tolerated in the send window
    max_send_failure_percent: int = 20  # above: a problem (with more failures)
    max_rate_limited: int = 100  # 429 answers in the window
    max_lockouts: int = 5  # recipients locked in the window
    audit: bool = True  # walk the whole chain (slow on very large tables)


@dataclass
class Problem:
    check: str
    message: str


@dataclass
class _Run:
    now: datetime.datetime
    limits: Limits
    problems: list = field(default_factory=list)
    metrics: dict = field(default_factory=dict)

    def problem(self, check: str, message: str) -> None:
        self.problems.append(Problem(check, message))


def _seconds(since, now) -> int:
    return int((now - since).total_seconds()) if since else 0


def _tasks(run: _Run) -> None:
    """django-tasks-db's table, when it is installed: ready tasks nobody runs, and
    RUNNING rows that a killed worker left behind (they are never retried)."""
    if not apps.is_installed("django_tasks_db"):
        run.metrics["task_queue"] = None
        return
    from django_tasks_db.models import DBTaskResult, get_date_max

    never = get_date_max()
    oldest = 0
    for enqueued, after in (
        DBTaskResult.objects.ready()
        .order_by("enqueued_at")[:50]
        .values_list("enqueued_at", "run_after")
    ):
        oldest = max(oldest, _seconds(enqueued if after == never else after, run.now))
    running_since = run.now - datetime.timedelta(seconds=run.limits.running_age)
    stuck = DBTaskResult.objects.running().filter(started_at__lt=running_since).count()
    run.metrics.update(task_queue_oldest_seconds=oldest, tasks_stuck_running=stuck)
    if oldest > run.limits.queue_age:
        run.problem(
            "task_queue",
            _(
                "the oldest ready task has waited %(s)s s (limit %(limit)s s): is db_worker running?"
            )
            % {"s": oldest, "limit": run.limits.queue_age},
        )
    if stuck:
        run.problem(
            "tasks_stuck",
            _(
                "%(n)s tasks have been RUNNING for over %(limit)s s: a worker was "
                "killed mid-task. securelink_purge runs stalled email tasks again"
            )
            % {"n": stuck, "limit": run.limits.running_age},
        )


def _deliveries(run: _Run) -> None:
    oldest = PendingDelivery.objects.aggregate(at=Min("created_at"))["at"]
    age = _seconds(oldest, run.now)
    run.metrics["pending_delivery_oldest_seconds"] = age
    if age > run.limits.pending_age:
        run.problem(
            "pending_delivery",
            _("an email has waited %(s)s s to be sent (limit %(limit)s s)")
            % {"s": age, "limit": run.limits.pending_age},
        )


def _events(run: _Run) -> None:
    since = run.now - datetime.timedelta(minutes=run.limits.window)
    recent = AccessEvent.objects.filter(created_at__gte=since)
    _send_failures(run)
    counts = {
        "rate_limited": recent.filter(event=EventType.RATE_LIMITED).count(),
        "lockouts": recent.filter(event=EventType.CODE_LOCKED).count(),
    }
    run.metrics.update({f"{k}_last_{run.limits.window}m": v for k, v in counts.items()})
    texts = {
        "rate_limited": _(
            "%(n)s requests were rate limited (429) in the last %(m)s minutes (limit %(limit)s)"
        ),
        "lockouts": _(
            "%(n)s recipients were locked out in the last %(m)s minutes (limit %(limit)s)"
        ),
    }
    for name, count in counts.items():
        limit = getattr(run.limits, f"max_{name}")
        if count > limit:
            run.problem(
                name, texts[name] % {"n": count, "m": run.limits.window, "limit": limit}
            )


def _send_failures(run: _Run) -> None:
    since = run.now - datetime.timedelta(minutes=run.limits.send_window)
    recent = AccessEvent.objects.filter(created_at__gte=since)
    failed = recent.filter(
        event__in=[EventType.CODE_SEND_FAILED, EventType.INVITATION_FAILED]
    ).count()
    sent = recent.filter(
        event__in=[EventType.CODE_SENT, EventType.INVITATION_SENT]
    ).count()
    attempts = failed + sent
    percent = round(100 * failed / attempts) if attempts else 0
    window = run.limits.send_window
    run.metrics.update(
        {
            f"emails_sent_last_{window}m": sent,
            f"send_failures_last_{window}m": failed,
            f"send_failure_percent_last_{window}m": percent,
        }
    )
    if (
        failed > run.limits.max_send_failures
        and failed * 100 > run.limits.max_send_failure_percent * attempts
    ):
        run.problem(
            "send_failures",
            _(
                "%(n)s of %(total)s emails (%(percent)s%%) failed to send in the last "
                "%(m)s minutes (limit %(limit)s%% and %(count)s emails): check the "
                "mail server"
            )
            % {
                "n": failed,
                "total": attempts,
                "percent": percent,
                "m": window,
                "limit": run.limits.max_send_failure_percent,
                "count": run.limits.max_send_failures,
            },
        )


def _rate_limiter(run: _Run) -> None:
    try:
        run.metrics["rate_limit_store"] = ratelimits.probe()
    except ratelimits.CacheUnavailable as exc:
        run.metrics["rate_limit_store"] = None
        run.problem(
            "rate_limiter",
            _("the rate-limit store cannot count (%(error)s): limited pages answer 503")
            % {"error": exc},
        )


def _audit(run: _Run) -> None:
    # The sealing lag: how many events wait for their seal, and how long the oldest
    # has waited (both read through the partial index of unsealed ids).
    lag = sealing_lag()
    oldest = _seconds(lag.oldest, run.now)
    late = 0
    if oldest > run.limits.unsealed_age:
        cutoff = run.now - datetime.timedelta(seconds=run.limits.unsealed_age)
        late = AccessEvent.objects.filter(
            seq__isnull=True, created_at__lt=cutoff
        ).count()
    run.metrics.update(
        unsealed_events=lag.unsealed,
        unsealed_oldest_seconds=oldest,
        unsealed_events_late=late,
    )
    if late:
        run.problem(
            "audit_unsealed",
            _(
                "%(n)s access events have waited over %(limit)s s for their seal "
                "(%(total)s unsealed, the oldest for %(s)s s): is sealing running?"
            )
            % {
                "n": late,
                "limit": run.limits.unsealed_age,
                "total": lag.unsealed,
                "s": oldest,
            },
        )
    if not run.limits.audit:
        return
    report = check_chain()
    run.metrics.update(audit_sealed=report.sealed, audit_retired_key=report.retired)
    if report.problem is not None:
        run.problem(
            "audit_chain",
            _("the audit trail is broken at event %(id)s: %(reason)s")
            % {"id": report.problem.event_id, "reason": report.problem.reason},
        )


def run_checks(limits: Limits | None = None, now=None) -> tuple[list, dict]:
    """Run every check; return ``(problems, metrics)``."""
    run = _Run(now=now or timezone.now(), limits=limits or Limits())
    for check in (_tasks, _deliveries, _events, _rate_limiter, _audit):
        check(run)
    return run.problems, run.metrics


_HELP = {
    "task_queue_oldest_seconds": "Seconds the oldest ready task has waited.",
    "tasks_stuck_running": "Tasks RUNNING for longer than the limit.",
    "pending_delivery_oldest_seconds": "Seconds the oldest embedded email row waited.",
    "emails_sent": "Code and invitation emails sent in the window.",
    "send_failures": "Code and invitation emails that failed in the window.",
    "send_failure_percent": "Failed emails, percent of those attempted in the window.",
    "rate_limited": "Requests answered 429 in the window.",
    "lockouts": "Recipients locked out in the window.",
    "unsealed_events": "Access events waiting for their seal.",
    "unsealed_oldest_seconds": "Seconds the oldest unsealed event has waited.",
    "unsealed_events_late": "Unsealed events older than the limit.",
    "audit_sealed": "Sealed events the audit walk checked.",
    "audit_retired_key": "Sealed events signed with a retired key.",
}
_WINDOWED = re.compile(r"(?P<name>.+)_last_(?P<minutes>\d+)m\Z")


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus_text(problems: list, metrics: dict) -> str:
    """``problems`` and ``metrics`` in Prometheus' text exposition format (0.0.4), for
    node_exporter's textfile collector: every series a gauge named ``securelink_…``."""
    lines = []

    def family(name: str, help_text: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP securelink_{name} {help_text}")
        lines.append(f"# TYPE securelink_{name} gauge")
        for labels, value in samples:
            lines.append(f"securelink_{name}{labels} {value:g}")

    failing = {problem.check for problem in problems}
    family("healthy", "1 when no check reports a problem.", [("", 0 if failing else 1)])
    family(
        "problem",
        "1 when the check reports a problem.",
        [(f'{{check="{check}"}}', int(check in failing)) for check in CHECKS],
    )
    store = metrics.get("rate_limit_store")
    family(
        "rate_limit_store_up",
        "1 when the rate-limit store counts.",
        [(f'{{store="{_label(store or "")}"}}', 0 if store is None else 1)],
    )
    for key, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue  # None (not measured here) and names, such as the store's
        windowed = _WINDOWED.match(key)
        name = windowed["name"] if windowed else key
        labels = f'{{window_minutes="{windowed["minutes"]}"}}' if windowed else ""
        family(name, _HELP.get(name, name.replace("_", " ") + "."), [(labels, value)])
    return "\n".join(lines) + "\n"
