"""A database outage under a running task worker: does email delivery come back?

    make test-worker-recovery
    scripts/services.sh run .venv/bin/python scripts/worker_recovery.py

Runs inside ``scripts/services.sh run`` (a private PostgreSQL and Redis on 127.0.0.1).
The example site's ``db_worker`` runs under a supervisor loop that does what the
systemd unit of docs/deployment.md does (``Restart=always``, ``RestartSec``, no start
limit). Then:

1. an invitation is queued and must reach the SMTP sink;
2. PostgreSQL is stopped for ``--outage`` seconds and started again
   (``services.sh pg-bounce``): ``db_worker`` exits on the lost connection;
3. another invitation, queued right after, must reach the sink within ``--deadline``
   seconds, sent by a restarted worker; none is sent twice.

Prints what happened (worker exits and restarts, times) and exits non-zero when an
email does not arrive.
"""

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.harness.mail import Mailbox  # noqa: E402
from tests.harness.server import HarnessError as ClusterError  # noqa: E402
from tests.harness.server import poll  # noqa: E402
from tests.scaleout.cluster import Cluster, Postgres  # noqa: E402


class Supervisor(threading.Thread):
    """Restart the worker whenever it exits, after ``restart_sec`` (systemd's
    ``Restart=always`` with ``StartLimitIntervalSec=0``)."""

    def __init__(self, cluster: Cluster, restart_sec: float):
        super().__init__(daemon=True)
        self.cluster, self.restart_sec = cluster, restart_sec
        self.exits: list[int] = []
        self.stopping = threading.Event()

    def run(self):
        self.cluster.start_worker()
        while not self.stopping.is_set():
            worker = self.cluster.task_workers[-1]
            code = worker.wait()
            if self.stopping.is_set():
                return
            self.exits.append(code)
            print(f"  worker exited with {code}; restarting in {self.restart_sec} s")
            self.stopping.wait(self.restart_sec)
            if not self.stopping.is_set():
                self.cluster.task_workers = []
                self.cluster.start_worker()

    def stop(self):
        self.stopping.set()
        self.cluster.stop_worker()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--outage", type=float, default=4)
    parser.add_argument("--restart-sec", type=float, default=2)
    parser.add_argument("--deadline", type=float, default=90)
    args = parser.parse_args()
    import os

    database = Postgres(os.environ["DATABASE_URL"])
    mailbox = Mailbox()
    mailbox.start()
    failures = []
    with tempfile.TemporaryDirectory() as directory:
        cluster = Cluster(
            Path(directory),
            database.url,
            os.environ["REDIS_URL"],
            mailbox.port,
            processes=1,
        )
        supervisor = Supervisor(cluster, args.restart_sec)
        try:
            cluster.set_up()
            supervisor.start()
            started = time.monotonic()
            cluster.share("--to", "before@example.com")
            poll(lambda: mailbox.to("before@example.com"), args.deadline, "email 1")
            print(
                f"1. invitation before the outage: {time.monotonic() - started:.1f} s"
            )

            bounce = subprocess.run(
                [str(ROOT / "scripts/services.sh"), "pg-bounce", str(args.outage)],
                check=False,
            )
            if bounce.returncode:
                raise ClusterError("services.sh pg-bounce failed")
            started = time.monotonic()
            cluster.share("--to", "after@example.com")
            try:
                poll(lambda: mailbox.to("after@example.com"), args.deadline, "email 2")
                print(
                    "2. invitation after the outage: "
                    f"{time.monotonic() - started:.1f} s from queueing"
                )
            except ClusterError:
                failures.append("the invitation queued after the outage never arrived")
            for address in ("before@example.com", "after@example.com"):
                if len(mailbox.to(address)) > 1:
                    failures.append(f"{address} got {len(mailbox.to(address))} emails")
            print(
                f"worker exits during the run: {len(supervisor.exits)} "
                f"(exit statuses {supervisor.exits})"
            )
        except ClusterError as error:
            failures.append(str(error))
        finally:
            supervisor.stop()
            cluster.close()
            mailbox.stop()
            if failures:
                print(cluster.log("worker.log")[-3000:])
            database.close()
    for failure in failures:
        print(f"FAILED: {failure}")
    print("OK: delivery resumed after the outage" if not failures else "")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
