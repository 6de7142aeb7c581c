"""The scale-out shape of SPEC §9 on one machine: real processes, real sockets.

One PostgreSQL database (a fresh one on the server that ``DATABASE_URL`` names), one
Redis of our own (so a test can stop and restart it), a task worker (``manage.py
db_worker``) and N gunicorn processes running the example site on different ports:
``tests/harness``'s :class:`~tests.harness.server.Site` with PostgreSQL, Redis and the
worker added; the SMTP sink is ``tests/harness/mail.py``. Every server listens on
127.0.0.1 only, every wait polls with a deadline, and ``close()`` stops every process
that was started.

No pytest here: ``benchmarks/loadtest.py`` builds the same cluster.
"""

import itertools
import os
import shutil
import socket
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import psycopg
import requests

from tests.harness.server import (
    HOST,
    STARTUP_DEADLINE,
    HarnessError,
    Site,
    free_port,
    poll,
    stop_process,
)


def scaleout_environment() -> tuple[str, str] | None:
    """(DATABASE_URL, REDIS_URL) when both name the scale-out servers, else ``None``."""
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if urlsplit(database_url).scheme not in {"postgres", "postgresql"}:
        return None
    if not redis_url or shutil.which("redis-server") is None:
        return None
    return database_url, redis_url


# -- PostgreSQL ---------------------------------------------------------------------------


def scalar(url: str, sql: str, params=()):
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql, params).fetchone()[0]


class Postgres:
    """A fresh database on the server that ``server_url`` points at; dropped on close."""

    _names = itertools.count(1)

    def __init__(self, server_url: str):
        parts = urlsplit(server_url)
        self.name = f"securelink_scaleout_{os.getpid()}_{next(self._names)}"
        self._admin_url = urlunsplit(parts._replace(path="/postgres"))
        self.url = urlunsplit(parts._replace(path="/" + self.name))
        with psycopg.connect(self._admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
            conn.execute(f'CREATE DATABASE "{self.name}"')

    def query(self, sql: str, params=()) -> list[tuple]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params=()):
        return scalar(self.url, sql, params)

    def close(self) -> None:
        with psycopg.connect(self._admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# -- Redis --------------------------------------------------------------------------------


class Redis:
    """A redis-server of our own on a free port, which a test may stop and restart."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.url = f"redis://{HOST}:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def _ping(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / "redis.log", "ab") as log:
            self.process = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    HOST,
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.directory),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        poll(self._ping, STARTUP_DEADLINE, f"Redis on port {self.port}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        self.process.wait(timeout=30)
        poll(lambda: not self._ping(), 10, "Redis to stop")

    def flush(self) -> None:
        with socket.create_connection((HOST, self.port), timeout=5) as sock:
            sock.sendall(b"FLUSHALL\r\n")
            assert sock.recv(16).startswith(b"+OK")


# -- a visitor ----------------------------------------------------------------------------


class Forms(HTMLParser):
    """The forms of a page: action and the values of their named inputs."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action", ""), "fields": {}})
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value") or ""


def form_fields(html: str, action_ends: str) -> tuple[str, dict]:
    """(action, fields) of the page's form whose action ends with ``action_ends``."""
    for form in Forms(html).forms:
        if form["action"].endswith(action_ends):
            return form["action"], form["fields"]
    raise HarnessError(f"no {action_ends!r} form on the page")


def on(url: str, base_url: str) -> str:
    """The same path on another app process (the tests play the proxy)."""
    parts = urlsplit(url)
    return urljoin(base_url, parts.path + (f"?{parts.query}" if parts.query else ""))


# -- the example site ---------------------------------------------------------------------


class Cluster(Site):
    """The example site on PostgreSQL + Redis: ``processes`` gunicorns and a worker."""

    def __init__(
        self,
        directory: Path,
        database_url: str,
        redis_url: str,
        smtp_port: int,
        processes: int = 2,
        workers: int = 2,  # gunicorn workers per process
        threads: int = 1,
        settings_module: str = "example_site.settings",
        extra_env: dict | None = None,
    ):
        self.database_url = database_url
        self.redis_url = redis_url
        self.workers = workers
        self.threads = threads
        self.task_workers: list[subprocess.Popen] = []
        env = {
            "REDIS_URL": redis_url,
            "TASK_BACKEND": "database",
            "SECURELINK_LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        super().__init__(
            directory,
            smtp_port,
            processes=processes,
            database_url=database_url,
            settings_module=settings_module,
            **env,
        )

    # -- processes --

    def start_web(self) -> None:
        self.start_gunicorn(
            workers=self.workers,
            threads=self.threads,
            extra_args=("--timeout", "60", "--backlog", "256"),
        )
        self.wait_until_serving()

    def start_worker(self, count: int = 1) -> None:
        for _ in range(count):
            self.task_workers.append(
                self.spawn(
                    [
                        sys.executable,
                        "manage.py",
                        "db_worker",
                        "--interval",
                        "0.1",
                        "--no-startup-delay",
                        "--no-reload",
                    ],
                    "worker.log",
                )
            )

    def stop_worker(self) -> None:
        """Graceful stop: each worker finishes the task it runs, then exits."""
        for worker in self.task_workers:
            stop_process(worker)
        self.task_workers = []

    def queued_tasks(self) -> int:
        return scalar(
            self.database_url,
            "SELECT count(*) FROM django_tasks_database_dbtaskresult "
            "WHERE status IN ('READY', 'RUNNING')",
        )

    def close(self) -> None:
        self.stop_worker()
        super().close()


class Visitor:
    """One browser: a cookie jar, the page it last saw, and the habit of using its forms.

    Cookies are per host, not per port: the same jar works through every process.
    """

    def __init__(self, url: str):
        self.url = url
        self.http = requests.Session()
        self.page: requests.Response | None = None

    def get(self, url: str | None = None) -> requests.Response:
        self.page = self.http.get(url or self.url, allow_redirects=False, timeout=60)
        return self.page

    def post(self, url: str, data: dict) -> requests.Response:
        return self.http.post(url, data=data, allow_redirects=False, timeout=60)

    def submit(self, action_ends: str, via: str | None = None, **values):
        """Post the current page's form whose action ends with ``action_ends``."""
        action, fields = form_fields(self.page.text, action_ends)
        target = urljoin(self.page.url, action)
        if via:
            target = on(target, via)
        response = self.post(target, {**fields, **values})
        if response.status_code != 303:
            self.page = response
        return response

    def csrf(self) -> str:
        return self.http.cookies.get("csrftoken", "")
