"""The scale-out shape of SPEC §9 on one machine: real processes, real sockets.

One PostgreSQL database (a fresh one on the server that ``DATABASE_URL`` names), one
Redis of our own (so a test can stop and restart it), an SMTP sink (aiosmtpd), a task
worker (``manage.py db_worker``) and N gunicorn processes running the example site on
different ports. Every server listens on 127.0.0.1 only, every wait polls with a
deadline, and ``close()`` stops every process that was started.

No pytest here: ``benchmarks/loadtest.py`` builds the same cluster.
"""

import email
import email.policy
import itertools
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import psycopg
import requests
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_SITE = ROOT / "example_site"
HOST = "127.0.0.1"
STARTUP_DEADLINE = 90
MAIL_DEADLINE = 30
COMMAND_TIMEOUT = 300

CODE_RE = re.compile(r"Your code is (\d{6,10})")

# After ``migrate``: one document. One ``manage.py shell`` process saves a start-up.
SET_UP_SITE = """
import os
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model
from wagtail.models import Collection

Document = get_document_model()
document = Document(title="Quarterly report", collection=Collection.get_first_root_node())
with open(os.environ["DOC_SOURCE"], "rb") as source:
    document.file.save("quarterly-report.pdf", ContentFile(source.read()), save=False)
document._set_document_file_metadata()
document.save()
# The owner of the links securelink_share makes (--as); no email, so no sharer notices.
from django.contrib.auth import get_user_model
get_user_model().objects.create_user(username="sharer")
print(document.pk)
"""


class ClusterError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def poll(predicate, deadline: float, what: str, interval: float = 0.05):
    """Call ``predicate`` until it returns something truthy, or raise after ``deadline`` s."""
    end = time.monotonic() + deadline
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise ClusterError(f"timed out after {deadline}s waiting for {what}")
        time.sleep(interval)


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


# -- SMTP ---------------------------------------------------------------------------------


@dataclass
class Mail:
    to: list[str]
    subject: str
    body: str  # the text/plain part


class Mailbox:
    """An aiosmtpd handler that files every message by recipient address."""

    def __init__(self):
        self._by_address: dict[str, list[Mail]] = defaultdict(list)
        self._changed = threading.Condition()
        self.count = 0
        self.port = free_port()
        self._controller = Controller(self, hostname=HOST, port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=email.policy.default
        )
        body = message.get_body(preferencelist=("plain",))
        mail = Mail(
            to=[address.lower() for address in envelope.rcpt_tos],
            subject=str(message["Subject"]),
            body=body.get_content() if body is not None else "",
        )
        with self._changed:
            for address in mail.to:
                self._by_address[address].append(mail)
            self.count += 1
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Mail]:
        with self._changed:
            return list(self._by_address.get(address.lower(), []))

    def codes_to(self, address: str) -> list[str]:
        return [m.group(1) for m in map(CODE_RE.search, self.to_bodies(address)) if m]

    def to_bodies(self, address: str) -> list[str]:
        return [mail.body for mail in self.to(address)]

    def wait_for_code(self, address: str, deadline: float = MAIL_DEADLINE) -> str:
        address = address.lower()

        def found():
            codes = [CODE_RE.search(m.body) for m in self._by_address.get(address, [])]
            codes = [c.group(1) for c in codes if c]
            return codes[-1] if codes else None

        with self._changed:
            code = self._changed.wait_for(found, timeout=deadline)
        if code is None:
            raise ClusterError(f"no code for {address} within {deadline}s")
        return code


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
    raise ClusterError(f"no {action_ends!r} form on the page")


def on(url: str, base_url: str) -> str:
    """The same path on another app process (the tests play the proxy)."""
    parts = urlsplit(url)
    return urljoin(base_url, parts.path + (f"?{parts.query}" if parts.query else ""))


# -- the example site ---------------------------------------------------------------------


def control_socket_off() -> list[str]:
    """Recent gunicorn opens a control socket at one fixed path in the home directory."""
    from gunicorn.config import KNOWN_SETTINGS

    if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS):
        return ["--no-control-socket"]
    return []


@dataclass
class Cluster:
    """The example site on PostgreSQL + Redis: ``processes`` gunicorns and a worker."""

    directory: Path
    database_url: str
    redis_url: str
    smtp_port: int
    processes: int = 2
    workers: int = 2  # gunicorn workers per process
    threads: int = 1
    settings_module: str = "example_site.settings"
    extra_env: dict = field(default_factory=dict)
    ports: list[int] = field(default_factory=list)
    servers: list[subprocess.Popen] = field(default_factory=list)
    task_workers: list[subprocess.Popen] = field(default_factory=list)
    document_id: int = 0
    document_content: bytes = b""

    def __post_init__(self):
        self.ports = [free_port() for _ in range(self.processes)]
        # Links are built from BASE_URL (the proxy's address); process 0 plays it.
        self.base_url = f"http://{HOST}:{self.ports[0]}"
        self.bases = [f"http://{HOST}:{port}" for port in self.ports]
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": self.settings_module,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "BASE_URL": self.base_url,
            "ALLOWED_HOSTS": HOST,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "TASK_BACKEND": "database",
            "MEDIA_ROOT": str(self.directory / "media"),
            "STATIC_ROOT": str(self.directory / "static"),
            "EMAIL_HOST": HOST,
            "EMAIL_PORT": str(self.smtp_port),
            "TIME_ZONE": "UTC",
            "SECURELINK_LOG_LEVEL": "WARNING",
            **self.extra_env,
        }

    # -- commands --

    def manage(self, *args: str, check: bool = True, extra_env: dict | None = None):
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=EXAMPLE_SITE,
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        if check and result.returncode != 0:
            raise ClusterError(
                f"manage.py {' '.join(args)} exited {result.returncode}\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    def set_up(self) -> None:
        """Migrate, then add one document with random content behind a PDF header."""
        self.manage("migrate", "--noinput", "-v", "0")
        import random

        self.document_content = b"%PDF-1.4\n" + random.Random(8).randbytes(100_000)
        source = self.directory / "source.pdf"
        source.write_bytes(self.document_content)
        result = self.manage(
            "shell", "-v", "0", "-c", SET_UP_SITE, extra_env={"DOC_SOURCE": str(source)}
        )
        self.document_id = int(result.stdout.strip().splitlines()[-1])

    def share(self, *args: str) -> str:
        result = self.manage(
            "securelink_share",
            "--document",
            str(self.document_id),
            "--as",
            "sharer",
            *args,
        )
        url = result.stdout.strip().splitlines()[-1]
        if not url.startswith(self.base_url + "/share/"):
            raise ClusterError(f"securelink_share printed {result.stdout!r}")
        return url

    # -- processes --

    def _spawn(self, args: list[str], log_name: str) -> subprocess.Popen:
        with open(self.directory / log_name, "ab") as log:
            return subprocess.Popen(
                args,
                cwd=EXAMPLE_SITE,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group, so that stop() reaches gunicorn's workers too.
                start_new_session=True,
            )

    def start_web(self) -> None:
        for index, port in enumerate(self.ports):
            worker_class = ["--threads", str(self.threads)] if self.threads > 1 else []
            self.servers.append(
                self._spawn(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "example_site.wsgi",
                        "--bind",
                        f"{HOST}:{port}",
                        "--workers",
                        str(self.workers),
                        *worker_class,
                        "--graceful-timeout",
                        "10",
                        "--timeout",
                        "60",
                        "--backlog",
                        "256",
                        *control_socket_off(),
                    ],
                    f"gunicorn-{index}.log",
                )
            )
        for index, base in enumerate(self.bases):
            self._wait_serving(index, base)

    def _wait_serving(self, index: int, base: str) -> None:
        def serving():
            server = self.servers[index]
            if server.poll() is not None:
                raise ClusterError(
                    f"gunicorn {index} exited with {server.returncode}:\n"
                    + self.log(f"gunicorn-{index}.log")
                )
            try:
                requests.get(base + "/share/not-a-link/", timeout=10)
                return True
            except (requests.ConnectionError, requests.Timeout):
                return False  # not listening yet, or its workers still booting

        poll(serving, STARTUP_DEADLINE, f"gunicorn {index} on {base}", interval=0.1)

    def start_worker(self, count: int = 1) -> None:
        for _ in range(count):
            self.task_workers.append(
                self._spawn(
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
            _stop(worker)
        self.task_workers = []

    def queued_tasks(self) -> int:
        return scalar(
            self.database_url,
            "SELECT count(*) FROM django_tasks_database_dbtaskresult "
            "WHERE status IN ('READY', 'RUNNING')",
        )

    def log(self, name: str) -> str:
        path = self.directory / name
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        self.stop_worker()
        for server in self.servers:
            _stop(server)
        self.servers = []


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM (graceful), then make sure nothing of the process group is left."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    try:
        os.killpg(process.pid, signal.SIGKILL)  # stray children, if any
    except ProcessLookupError:
        pass


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
