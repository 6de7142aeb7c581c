"""How fast one task worker sends code emails, and where its time goes.

    make bench-worker                 # 300 emails a kind, servers started and stopped
    scripts/services.sh run .venv/bin/python benchmarks/worker_throughput.py --emails 300

Needs ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL``, as ``scripts/services.sh`` sets
them. On a fresh database with the example site's settings as they ship for the
scale-out shape (``example_site.settings``, ``TASK_BACKEND=database``; the same
cluster as ``loadtest.py``), an SMTP sink in a process of its own on 127.0.0.1, it
queues ``--emails`` tasks of one kind, then times ``manage.py db_worker --batch``
sending them, for each kind side by side (in alternating rounds with ``--rounds``):

- ``code``: code emails queued as the product queues them: a link with that many
  recipients, each asking for a code through ``services.request_code`` (a request
  with a session, the work the view runs after its response), so the task rows are
  the real ones;
- ``send_mail``: a task that sends one plain ``django.core.mail.send_mail`` of about
  the same size (``worker_tasks.send_plain``): the floor of django_tasks + SMTP;
- ``nothing``: a task that returns at once: the task framework's own cost.

The worker is ``db_worker --batch``, run by ``worker_run.py`` in a process of its own
and timed from after Django's start-up until the queue is empty. For each kind: emails
a second (from the first message in the sink to the last), tasks a second (from the
first task's start to the last one's end, as the database recorded them), the worker's
CPU milliseconds per task (its ``getrusage``), and the wall time. CPU per email is
meaningful on a loaded machine; wall time is not. Then two more batches of code
emails under cProfile, one timed by CPU time and one by the wall clock, each with the
time by area (our package, the ORM, psycopg, templates, email building, SMTP …), the
top cumulative entries of ``wagtail_securelink`` and the top own-time entries. Exits
non-zero when a task failed or an email did not arrive.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.loadtest import build_cluster, scaleout_urls  # noqa: E402
from benchmarks.profile_summary import profile_summary  # noqa: E402
from benchmarks.smtp_sink import SinkProcess  # noqa: E402
from tests.harness.server import EXAMPLE_SITE  # noqa: E402
from tests.scaleout.cluster import Postgres  # noqa: E402

KINDS = ("code", "send_mail", "nothing")
SQL_TASKS = 20  # tasks of a kind whose SQL statements are counted

QUEUE_CODES = """
import os
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import RequestFactory
from wagtail.documents import get_document_model
from wagtail_securelink import services

count, prefix = int(os.environ["COUNT"]), os.environ["PREFIX"]
document = get_document_model().objects.get(pk=int(os.environ["DOC_ID"]))
addresses = [f"{prefix}-{i}@bench.example.com" for i in range(count)]
link = services.create_link(target=document, recipients=addresses, send_invitations=False)
factory = RequestFactory()
sessions = SessionMiddleware(lambda request: None)
for address in addresses:
    # What the view does: the session, then the work it runs after the response.
    request = factory.post(
        "/", HTTP_ACCEPT_LANGUAGE="en", HTTP_USER_AGENT="worker-throughput"
    )
    sessions.process_request(request)
    services.request_code(link, address, request)  # its task: queued at once here
"""

QUEUE_REFERENCE = """
import os
from benchmarks import worker_tasks

count, size = int(os.environ["COUNT"]), int(os.environ["SIZE"])
for i in range(count):
    if os.environ["KIND"] == "send_mail":
        worker_tasks.send_plain.enqueue(i, size)
    else:
        worker_tasks.nothing.enqueue(i)
"""


def run_worker(
    cluster, *, profile: Path | None = None, timer: str = "cpu", sql: bool = False
) -> dict:
    """One ``db_worker --batch`` until the queue is empty: CPU and wall seconds after
    its start-up (``worker_run.py``)."""
    command = [sys.executable, str(ROOT / "benchmarks" / "worker_run.py")]
    if profile is not None:
        command += ["--profile", str(profile), "--timer", timer]
    if sql:
        command.append("--sql")
    result = subprocess.run(
        command,
        cwd=EXAMPLE_SITE,
        env=cluster.env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"db_worker exited {result.returncode}:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def queue(cluster, kind: str, count: int, size: int, prefix: str) -> None:
    """``count`` tasks of ``kind`` in the queue, and nothing else."""
    env = {"COUNT": str(count), "KIND": kind, "SIZE": str(size), "PREFIX": prefix}
    env["DOC_ID"] = str(cluster.document_id)
    script = QUEUE_CODES if kind == "code" else QUEUE_REFERENCE
    cluster.manage("shell", "-v", "0", "-c", script, extra_env=env)
    ready = cluster.queued_tasks()
    if ready != count:
        import psycopg

        with psycopg.connect(cluster.database_url) as conn:
            rows = conn.execute(
                "SELECT task_path, args_kwargs::text, count(*) FROM "
                "django_tasks_database_dbtaskresult WHERE status = 'READY' "
                "GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 5"
            ).fetchall()
        raise SystemExit(f"{kind}: {ready} tasks queued, expected {count}: {rows}")


def unsuccessful_tasks(database) -> int:
    return database.scalar(
        "SELECT count(*) FROM django_tasks_database_dbtaskresult "
        "WHERE status <> 'SUCCESSFUL' OR return_value #>> '{}' NOT IN ('sent', 'done')"
    )


def tasks_per_second(database, since) -> float:
    """(tasks - 1) ÷ (last finish - first start), as the worker recorded them."""
    count, first, last = database.query(
        "SELECT count(*), min(started_at), max(finished_at) "
        "FROM django_tasks_database_dbtaskresult WHERE enqueued_at >= %s",
        (since,),
    )[0]
    return round((count - 1) / (last - first).total_seconds(), 1)


def measure(cluster, sink, database, kind, count, size, prefix) -> dict:
    since = database.scalar("SELECT now()")
    queue(cluster, kind, count, size, prefix)
    before = sink.count
    run = run_worker(cluster)
    expected = before + (count if kind != "nothing" else 0)
    if not sink.wait_for_count(expected, deadline=30) or sink.count != expected:
        raise SystemExit(f"{kind}: {sink.count - before} emails, expected {count}")
    if unsuccessful_tasks(database):
        raise SystemExit(f"{kind}: {unsuccessful_tasks(database)} tasks not done")
    arrivals = sink.arrivals[before:]
    figures = {
        "kind": kind,
        "tasks": count,
        "wall_s": round(run["wall"], 2),
        "cpu_s": round(run["cpu"], 2),
        "cpu_ms_per_task": round(1000 * run["cpu"] / count, 2),
        "tasks_per_s": tasks_per_second(database, since),
    }
    if len(arrivals) > 1:
        span = arrivals[-1].at - arrivals[0].at
        figures["emails_per_s"] = round((len(arrivals) - 1) / span, 1)
        figures["bytes_per_email"] = round(statistics.mean(a.size for a in arrivals))
    return figures


def report(f: dict) -> str:
    lines = [
        f"db_worker --batch, {f['emails']} tasks a kind, {f['rounds']} round(s); "
        f"load average (1, 5, 15 min) before {f['load_average']['before']}, "
        f"after {f['load_average']['after']}",
        "",
        "| kind | round | emails/s | tasks/s | worker CPU ms/task | wall s | bytes/email |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in f["runs"]:
        lines.append(
            f"| {r['kind']} | {r['round']} | {r.get('emails_per_s', '–')} | "
            f"{r['tasks_per_s']} | {r['cpu_ms_per_task']} | {r['wall_s']} | "
            f"{r.get('bytes_per_email', '')} |"
        )
    for timer, p in f["profiles"].items():
        lines += [
            "",
            f"cProfile, {timer} time, {f['emails']} code emails: {p['ms_per_email']} "
            "ms per email under the profiler. Own time by area, ms per email:",
            "",
            *(f"  {a:28} {ms:8.2f}" for a, ms in p["areas_ms_per_email"].items()),
            "",
            f"wagtail_securelink, cumulative ms per email ({timer}):",
            *(
                f"  {e['ms_per_email']:8.2f}  {e['function']} ×{e['calls']}"
                for e in p["ours_cumulative"]
            ),
            "",
            f"own time, ms per email ({timer}):",
            *(
                f"  {e['ms_per_email']:8.2f}  {e['function']} ×{e['calls']}"
                for e in p["own_time"]
            ),
        ]
    for kind, counted in f["sql"].items():
        lines += [
            "",
            f"SQL per task, {kind} ({SQL_TASKS} tasks): {counted['per_task']} "
            "statements and COMMITs:",
            *(f"  {n:6.2f}  {sql}" for sql, n in counted["statements"].items()),
        ]
    if f.get("sink_cpu_s") is not None:
        lines += [
            "",
            f"the SMTP sink's own CPU over the whole run: {f['sink_cpu_s']} s",
        ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emails", type=int, default=300, help="tasks a kind a round")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--profile", default="cpu,wall", help="cpu,wall, or none")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--profile-dir", type=Path, help="keep cpu.prof and wall.prof")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args(argv)
    kinds = [k for k in args.kinds.split(",") if k]
    timers = [t for t in args.profile.split(",") if t in ("cpu", "wall")]
    if not 2 <= args.emails <= 5000 or not set(kinds) <= set(KINDS):
        parser.error(f"2–5000 emails; kinds among {', '.join(KINDS)}")
    database_url, redis_url = scaleout_urls(parser, redis_db=13)

    work = Path(tempfile.mkdtemp(prefix="securelink-worker-"))
    database = Postgres(database_url)
    sink = SinkProcess()
    sink.start()
    cluster = None
    load_before = os.getloadavg()
    try:
        print(f"setting up in {work} …", file=sys.stderr)
        cluster = build_cluster(work, database, redis_url, sink.port)
        run_worker(cluster)  # Wagtail's own tasks from adding the document
        figures = {"emails": args.emails, "rounds": args.rounds, "runs": []}
        size = 1500  # until the first code email says how large one is
        for round_ in range(1, args.rounds + 1):
            for kind in kinds:
                print(f"round {round_}: {kind} …", file=sys.stderr)
                result = measure(
                    cluster, sink, database, kind, args.emails, size, f"r{round_}"
                )
                if kind == "code":  # the reference sends about as many bytes
                    size = result["bytes_per_email"]
                figures["runs"].append({"round": round_, **result})
        figures["profiles"] = {}
        directory = args.profile_dir or work
        directory.mkdir(parents=True, exist_ok=True)
        for timer in timers:
            print(f"code emails under cProfile ({timer} time) …", file=sys.stderr)
            queue(cluster, "code", args.emails, 0, f"profiled-{timer}")
            run_worker(cluster, profile=directory / f"{timer}.prof", timer=timer)
            figures["profiles"][timer] = profile_summary(
                directory / f"{timer}.prof", args.emails, args.top
            )
        figures["sql"] = {}
        for kind in ("code", "nothing"):
            queue(cluster, kind, SQL_TASKS, 1500, "sql")
            counted = run_worker(cluster, sql=True)["sql"]
            figures["sql"][kind] = {
                "per_task": round(sum(counted.values()) / SQL_TASKS, 1),
                "statements": {k: round(n / SQL_TASKS, 2) for k, n in counted.items()},
            }
        sink.stop()
        figures["sink_cpu_s"] = sink.cpu_seconds and round(sink.cpu_seconds, 2)
        figures["load_average"] = {
            "before": [round(x, 2) for x in load_before],
            "after": [round(x, 2) for x in os.getloadavg()],
        }
        print(report(figures))
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2) + "\n")
        return 0
    finally:
        if cluster is not None:
            cluster.close()
        sink.stop()
        database.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
