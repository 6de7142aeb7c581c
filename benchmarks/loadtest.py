"""A bounded load test of the scale-out shape (SPEC §9), on loopback only.

    make loadtest                     # 100 visitors, 60 s, servers started and stopped
    scripts/services.sh run .venv/bin/python benchmarks/loadtest.py --visitors 100 --seconds 60

Needs ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL``, as ``scripts/services.sh`` sets
them. Builds a fresh database on that server, runs the example site
(``benchmarks/loadtest_settings.py``: the defaults with the per-network rate limits
raised, since every visitor here shares 127.0.0.1) in two gunicorn processes with a
``db_worker`` sending email to an SMTP sink on 127.0.0.1 (in a process of its own,
``smtp_sink.py``), then lets ``--visitors`` threads walk the whole specific-people flow
again and again for ``--seconds``:

    open (GET the link) → request_code (POST the address) → code_form (GET) →
    email (the code arrives in the SMTP sink: from the POST to the sink's clock at
    the end of the message's DATA) → verify (POST the code) → document (GET the
    page) → download

Each request goes to one of the two processes in turn, as a round-robin proxy would.
Each round uses an address of its own, so the per-address limits in the database
(cooldown, 5 codes an hour) never block it. After the run it checks: no 5xx, each
code used at most once (one grant per verified round, replaying a spent code is
refused), every action recorded as an access event, the audit chain intact.

Prints a Markdown table (throughput, p50/p95/max per step, codes requested and emails
sent per second, the task workers' CPU time per email) and writes JSON with
``--json``. Exits non-zero when a check fails. Stops by itself: new rounds start only
until ``--seconds`` have passed, and every request has a timeout.
"""

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.smtp_sink import SinkError, SinkProcess  # noqa: E402
from tests.harness.server import HarnessError as ClusterError  # noqa: E402
from tests.harness.server import poll  # noqa: E402
from tests.scaleout.cluster import Cluster, Postgres, form_fields, on  # noqa: E402

STEPS = ["open", "request_code", "code_form", "email", "verify", "document", "download"]
# Every visitor asks for its first code in the same second: the email step again
# without each visitor's first round, so without that burst.
LATER_EMAILS = "email, rounds 2+"
TIMEOUT = 60

MAKE_LINKS = """
import json, os
from wagtail.documents import get_document_model
from wagtail_securelink import services

document = get_document_model().objects.get(pk=int(os.environ["DOC_ID"]))
links, per_link = int(os.environ["LINKS"]), int(os.environ["PER_LINK"])
urls = []
for i in range(links):
    link = services.create_link(
        target=document,
        recipients=[f"v{i}-{j}@load.example.com" for j in range(per_link)],
        send_invitations=False,
    )
    urls.append(services.link_url(link))
print(json.dumps(urls))
"""

# Where the email step's time went, from the task rows: waiting in the queue (enqueued
# → a worker claimed it) and the task itself (claimed → finished), in ms.
TASK_TIMES = """
SELECT percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY
           extract(epoch FROM started_at - enqueued_at) * 1000),
       percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY
           extract(epoch FROM finished_at - started_at) * 1000)
FROM django_tasks_database_dbtaskresult
WHERE task_path LIKE '%%.send_code_email' AND finished_at IS NOT NULL
"""

VERIFY_CHAIN = """
from wagtail_securelink.audit.chain import verify_chain
problem = verify_chain()
print("chain ok" if problem is None else f"chain broken at {problem.event_id}: {problem.reason}")
"""


def scaleout_urls(parser: argparse.ArgumentParser, redis_db: int) -> tuple[str, str]:
    """DATABASE_URL (PostgreSQL) and REDIS_URL, as ``scripts/services.sh run`` sets
    them; the Redis URL names database ``redis_db`` (emptied by ``build_cluster``)."""
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")) or not redis_url:
        parser.error(
            "set DATABASE_URL (PostgreSQL) and REDIS_URL: see scripts/services.sh"
        )
    return database_url, urlunsplit(urlsplit(redis_url)._replace(path=f"/{redis_db}"))


def build_cluster(
    work: Path, database: Postgres, redis_url: str, smtp_port: int, **options
) -> Cluster:
    """The example site on a fresh database: migrated, one document, the cache empty."""
    cluster = Cluster(
        directory=work,
        database_url=database.url,
        redis_url=redis_url,
        smtp_port=smtp_port,
        **options,
    )
    cluster.manage("shell", "-c", "from django.core.cache import cache; cache.clear()")
    cluster.set_up()
    return cluster


def make_links(cluster: Cluster, links: int, per_link: int) -> list[str]:
    made = cluster.manage(
        "shell",
        "-v",
        "0",
        "-c",
        MAKE_LINKS,
        extra_env={
            "DOC_ID": str(cluster.document_id),
            "LINKS": str(links),
            "PER_LINK": str(per_link),
        },
    )
    return json.loads(made.stdout.strip().splitlines()[-1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def max_backlog(requested: list[float], arrived: list[float]) -> int:
    """The most codes requested and not yet in the sink at any moment."""
    timeline = sorted([(t, 1) for t in requested] + [(t, -1) for t in arrived])
    depth = peak = 0
    for _t, step in timeline:
        depth += step
        peak = max(peak, depth)
    return peak


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


class Proxy:
    """Round-robin over the app processes, as the proxy in front of them would."""

    def __init__(self, bases: list[str]):
        self.bases = bases
        self._next = 0
        self._lock = threading.Lock()

    def __call__(self, url: str) -> str:
        with self._lock:
            base = self.bases[self._next % len(self.bases)]
            self._next += 1
        return on(url, base)


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter = Counter()
        self.server_errors: list[str] = []
        self.failures: list[str] = []
        self.rounds = 0
        self.spent: list[tuple[str, dict, str, str]] = []  # for the replay check
        self.code_requests: list[float] = []  # time.monotonic() of each 303

    def timed(self, step: str, seconds: float, status: int | None = None) -> None:
        with self.lock:
            self.timings[step].append(seconds)
            if status is not None:
                self.statuses[(step, status)] += 1

    def fail(self, message: str) -> None:
        with self.lock:
            self.failures.append(message)


def visitor(
    index: int,
    link_url: str,
    addresses: list[str],
    proxy: Proxy,
    sink: SinkProcess,
    results: Results,
    stop_at: float,
    content: bytes,
    start_at: float = 0.0,
):
    # Visitors arrive over the ramp-up, as people do, not all in the same instant.
    time.sleep(max(0.0, start_at - time.monotonic()))
    for address in addresses:
        if time.monotonic() >= stop_at:
            return
        http = requests.Session()
        # As nginx talks to its upstreams: one connection per request. (Reusing idle
        # keep-alive connections races with gunicorn closing them: resets, not load.)
        http.headers["Connection"] = "close"

        def request(step, method, url, http=http, **kwargs):
            began = time.perf_counter()
            response = http.request(
                method, proxy(url), allow_redirects=False, timeout=TIMEOUT, **kwargs
            )
            results.timed(step, time.perf_counter() - began, response.status_code)
            if response.status_code >= 500:
                with results.lock:
                    results.server_errors.append(
                        f"{step} {response.status_code} {response.url}"
                    )
            return response

        try:
            page = request("open", "GET", link_url)
            if page.status_code != 200:
                results.fail(f"open: {page.status_code}")
                return
            action, fields = form_fields(page.text, "/code/send/")
            asked = time.monotonic()  # the sink's clock too
            sent = request(
                "request_code",
                "POST",
                urljoin(link_url, action),
                data={**fields, "email": address},
            )
            if sent.status_code != 303:
                results.fail(f"request_code: {sent.status_code}")
                return
            with results.lock:
                results.code_requests.append(time.monotonic())
            form = request(
                "code_form", "GET", urljoin(link_url, sent.headers["Location"])
            )
            mail = sink.wait_for_mail(address, deadline=TIMEOUT)
            code = mail.code
            results.timed("email", mail.at - asked)
            if address != addresses[0]:
                results.timed(LATER_EMAILS, mail.at - asked)
            action, fields = form_fields(form.text, "/code/")
            verify_url = urljoin(link_url, action)
            verified = request(
                "verify", "POST", verify_url, data={**fields, "code": code}
            )
            if verified.status_code != 303:
                said = re.search(r'role="alert">\s*<p>([^<]*)<', verified.text)
                results.fail(
                    f"verify: {verified.status_code} "
                    f"{said.group(1).strip() if said else verified.text[-1500:]!r}"
                )
                return
            document = request("document", "GET", link_url)
            if document.status_code != 200 or "Quarterly report" not in document.text:
                results.fail(f"document: {document.status_code}")
                return
            download = request("download", "GET", link_url + "download/")
            if download.status_code != 200 or download.content != content:
                results.fail(f"download: {download.status_code}")
                return
            with results.lock:
                results.rounds += 1
                if len(results.spent) < 50:
                    results.spent.append((verify_url, fields, code, address))
        except (requests.RequestException, ClusterError, SinkError) as exc:
            results.fail(f"{type(exc).__name__}: {exc}")
            return


def replay_spent_codes(results: Results, proxy: Proxy, link_urls: list[str]) -> int:
    """Post spent codes again, from a new session that asks for them: none may work."""
    accepted = 0
    for verify_url, _fields, code, address in results.spent:
        http = requests.Session()
        link_url = verify_url.rsplit("code/", 1)[0]
        page = http.get(proxy(link_url), timeout=TIMEOUT)
        action, fields = form_fields(page.text, "/code/send/")
        http.post(
            proxy(urljoin(link_url, action)),
            data={**fields, "email": address},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        form = http.get(proxy(verify_url), timeout=TIMEOUT)
        action, fields = form_fields(form.text, "/code/")
        response = http.post(
            proxy(urljoin(link_url, action)),
            data={**fields, "code": code},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        accepted += response.status_code == 303
    return accepted


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visitors", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="per gunicorn process")
    parser.add_argument("--threads", type=int, default=4, help="per gunicorn worker")
    parser.add_argument(
        "--task-workers",
        type=int,
        default=2,
        help="db_worker processes (default 2, as docs/deployment.md recommends)",
    )
    parser.add_argument(
        "--ramp-up",
        type=float,
        default=10,
        help="seconds over which the visitors arrive (0: all in the same instant)",
    )
    parser.add_argument("--rounds-per-visitor", type=int, default=40)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    if not 1 <= args.visitors <= 100 or not 0 < args.seconds <= 600:
        parser.error("at most 100 visitors and 600 seconds")

    # A Redis database of its own, emptied first: no counter left from elsewhere.
    database_url, redis_url = scaleout_urls(parser, redis_db=14)

    work = Path(tempfile.mkdtemp(prefix="securelink-loadtest-"))
    database = Postgres(database_url)
    sink = SinkProcess()
    sink.start()
    cluster = None
    try:
        print(f"setting up in {work} …", file=sys.stderr)
        cluster = build_cluster(
            work,
            database,
            redis_url,
            sink.port,
            processes=args.processes,
            workers=args.workers,
            threads=args.threads,
            settings_module="benchmarks.loadtest_settings",
        )
        per_link = args.rounds_per_visitor
        link_urls = make_links(cluster, args.visitors, per_link)
        cluster.start_web()
        cluster.start_worker(count=args.task_workers)
        events_before = dict(
            database.query(
                "SELECT event, count(*) FROM wagtail_securelink_accessevent GROUP BY event"
            )
        )

        results = Results()
        proxy = Proxy(cluster.bases)
        print(
            f"{args.visitors} visitors for {args.seconds:g} s on {args.processes} "
            f"processes × {args.workers} workers × {args.threads} threads …",
            file=sys.stderr,
        )
        load_before = os.getloadavg()
        began = time.monotonic()
        stop_at = began + args.seconds
        threads = [
            threading.Thread(
                target=visitor,
                args=(
                    i,
                    link_urls[i],
                    [f"v{i}-{j}@load.example.com" for j in range(per_link)],
                    proxy,
                    sink,
                    results,
                    stop_at,
                    cluster.document_content,
                    began + args.ramp_up * i / args.visitors,
                ),
                daemon=True,
            )
            for i in range(args.visitors)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            # Every request has a timeout: a round in flight at the deadline ends soon.
            thread.join(timeout=max(1, stop_at - time.monotonic()) + 6 * TIMEOUT)
        ended = time.monotonic()
        elapsed = ended - began
        # The emails of the run (the replays below send more), and the workers' CPU.
        arrived = [a.at for a in sink.since(began, ended)]
        worker_cpu = sum(cpu_seconds(w.pid) for w in cluster.task_workers)
        queue_wait, task_run = database.query(TASK_TIMES)[0]

        # -- checks --
        replayed = replay_spent_codes(results, proxy, link_urls)
        # A replay more than a cooldown after its round sends a new code: let the
        # worker finish, then every email in the sink must have its event.
        poll(
            lambda: cluster.queued_tasks() == 0, 2 * TIMEOUT, "the email queue to drain"
        )
        counts = dict(
            database.query(
                "SELECT event, count(*) FROM wagtail_securelink_accessevent GROUP BY event"
            )
        )
        new = {k: counts.get(k, 0) - events_before.get(k, 0) for k in counts}
        grants = database.scalar("SELECT count(*) FROM wagtail_securelink_grant")
        used = database.scalar(
            "SELECT count(*) FROM wagtail_securelink_verificationcode WHERE used_at IS NOT NULL"
        )
        double_grants = database.scalar(
            "SELECT count(*) FROM (SELECT recipient_id FROM wagtail_securelink_grant "
            "GROUP BY recipient_id HAVING count(*) > 1) AS twice"
        )
        chain = cluster.manage("shell", "-v", "0", "-c", VERIFY_CHAIN).stdout.strip()
        ok_status = Counter()
        for (step, status), n in results.statuses.items():
            ok_status[step, status] += n
        verified_ok = ok_status["verify", 303]
        expected_events = {
            "opened": ok_status["document", 200],
            "code_requested": ok_status["request_code", 303] + len(results.spent),
            "code_sent": sink.count,
            "verified": verified_ok,
            "downloaded": ok_status["download", 200],
        }
        checks = {
            "no 5xx": not results.server_errors,
            "no failed round": not results.failures,
            "one grant per verified round": grants == used == verified_ok
            and double_grants == 0,
            "spent codes refused on replay": replayed == 0,
            "audit chain intact": chain == "chain ok",
            **{
                f"{event} events recorded": new.get(event, 0) == expected
                for event, expected in expected_events.items()
            },
        }

        requests_total = sum(
            n for (step, _status), n in results.statuses.items() if step != "email"
        )
        figures = {
            "visitors": args.visitors,
            "seconds": round(elapsed, 1),
            "processes": args.processes,
            "workers": args.workers,
            "threads": args.threads,
            "task_workers": args.task_workers,
            "ramp_up": args.ramp_up,
            "rounds": results.rounds,
            "rounds_per_second": round(results.rounds / elapsed, 2),
            "requests": requests_total,
            "requests_per_second": round(requests_total / elapsed, 1),
            "codes_requested": len(results.code_requests),
            "codes_requested_per_second": round(
                len(results.code_requests) / elapsed, 2
            ),
            "emails_sent": len(arrived),
            "emails_sent_per_second": round(len(arrived) / elapsed, 2),
            "max_backlog": max_backlog(results.code_requests, arrived),
            "code_task_queue_wait_ms": [round(x) for x in queue_wait or []],
            "code_task_run_ms": [round(x) for x in task_run or []],
            "worker_cpu_seconds": round(worker_cpu, 2),
            "worker_cpu_ms_per_email": round(1000 * worker_cpu / len(arrived), 1)
            if arrived
            else None,
            "load_average": {
                "before": [round(x, 2) for x in load_before],
                "after": [round(x, 2) for x in os.getloadavg()],
            },
            "steps": {
                step: {
                    "count": len(results.timings[step]),
                    "p50_ms": round(statistics.median(results.timings[step]) * 1000, 1)
                    if results.timings[step]
                    else None,
                    "p95_ms": round(percentile(results.timings[step], 0.95) * 1000, 1),
                    "max_ms": round(max(results.timings[step], default=0) * 1000, 1),
                }
                for step in [*STEPS[:4], LATER_EMAILS, *STEPS[4:]]
            },
            "statuses": {
                f"{s} {c}": n for (s, c), n in sorted(results.statuses.items())
            },
            "events": {k: new.get(k, 0) for k in sorted(new)},
            "expected_events": expected_events,
            "emails": sink.count,
            "grants": grants,
            "codes_used": used,
            "replayed_codes_accepted": replayed,
            "chain": chain,
            "server_errors": results.server_errors[:20],
            "failures": results.failures[:20],
            "checks": checks,
        }
        print(report(figures))
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2) + "\n")
        return 0 if all(checks.values()) else 1
    finally:
        if cluster is not None:
            cluster.close()
        sink.stop()
        database.close()
        if not args.keep:
            import shutil

            shutil.rmtree(work, ignore_errors=True)


def report(f: dict) -> str:
    lines = [
        f"{f['visitors']} visitors, {f['seconds']} s, {f['processes']} gunicorn processes × "
        f"{f['workers']} workers × {f['threads']} threads, {f['task_workers']} task worker(s), "
        f"visitors arriving over {f['ramp_up']:g} s",
        f"{f['rounds']} full rounds ({f['rounds_per_second']}/s), "
        f"{f['requests']} HTTP requests ({f['requests_per_second']}/s)",
        f"codes requested {f['codes_requested']} ({f['codes_requested_per_second']}/s), "
        f"emails sent {f['emails_sent']} ({f['emails_sent_per_second']}/s) during the "
        f"run; at most {f['max_backlog']} codes requested and not yet in the sink",
        "code email tasks: in the queue p50/p95 "
        f"{'/'.join(map(str, f['code_task_queue_wait_ms']))} ms, running p50/p95 "
        f"{'/'.join(map(str, f['code_task_run_ms']))} ms",
        f"task workers' CPU {f['worker_cpu_seconds']} s, "
        f"{f['worker_cpu_ms_per_email']} ms per email; load average (1, 5, 15 min) "
        f"before {f['load_average']['before']}, after {f['load_average']['after']}",
        "",
        "| step | count | p50 ms | p95 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for step, s in f["steps"].items():
        lines.append(
            f"| {step} | {s['count']} | {s['p50_ms']} | {s['p95_ms']} | {s['max_ms']} |"
        )
    lines += ["", "checks:"]
    lines += [
        f"  {'ok  ' if ok else 'FAIL'} {name}" for name, ok in f["checks"].items()
    ]
    if f["failures"] or f["server_errors"]:
        lines += ["", "first problems:", *f["server_errors"], *f["failures"]]
    lines += [
        "",
        f"events: {f['events']}",
        f"expected: {f['expected_events']}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
