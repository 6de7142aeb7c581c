"""A throw-away example site for the acceptance tests: real processes, real sockets.

Nothing here touches pytest-django's test database. The fixtures build, in a
temporary directory, a SQLite database and a MEDIA_ROOT; migrate them with
``manage.py``; start an SMTP server (aiosmtpd) that keeps messages in memory; and run
``gunicorn example_site.wsgi`` with two workers against them. Every server listens on
127.0.0.1 only, every wait polls with a deadline, and the finalizers stop every
process they started.
"""

import contextlib
import email
import email.policy
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_SITE = ROOT / "example_site"
HOST = "127.0.0.1"
# Generous: the suite may share a loaded machine. Waits end as soon as they can.
STARTUP_DEADLINE = 60
MAIL_DEADLINE = 15
COMMAND_TIMEOUT = 120

# Every address the tests type without listing it lives under this domain, so the
# final mailbox audit can prove that none of them ever received anything.
UNLISTED_DOMAIN = "unlisted.example.net"

# After ``migrate``: one document (the site needs no other set-up step). One
# ``manage.py shell`` process instead of two saves a Django start-up, and no test-only
# command has to live in the package or in the example site.
SET_UP_SITE = """
import os
from django.core.files.base import ContentFile
from django.core.management import call_command
from wagtail.documents import get_document_model
from wagtail.models import Collection

Document = get_document_model()
document = Document(title=os.environ["DOC_TITLE"], collection=Collection.get_first_root_node())
with open(os.environ["DOC_SOURCE"], "rb") as source:
    document.file.save(os.environ["DOC_FILENAME"], ContentFile(source.read()), save=False)
document._set_document_file_metadata()
document.save()
# The owner of the links securelink_share makes (--as); no email, so no sharer notices.
from django.contrib.auth import get_user_model
get_user_model().objects.create_user(username="sharer")
print(document.pk)
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# -- SMTP -----------------------------------------------------------------------------


@dataclass
class Mail:
    to: list[str]
    subject: str
    body: str  # the text/plain part


class Mailbox:
    """An aiosmtpd handler that keeps every message, and lets tests wait for one."""

    def __init__(self, delay: float = 0.0):
        self.delay = delay  # seconds the server takes to accept each message
        self.messages: list[Mail] = []
        self._changed = threading.Condition()
        self.port = 0

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
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
            self.messages.append(mail)
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Mail]:
        with self._changed:
            return [m for m in self.messages if address.lower() in m.to]

    def wait_for(
        self, address: str, match: Callable[[Mail], bool] = lambda mail: True
    ) -> Mail:
        """The first message to ``address`` that ``match`` accepts, waiting for it."""

        def found():
            return next(
                (m for m in self.messages if address.lower() in m.to and match(m)),
                None,
            )

        with self._changed:
            mail = self._changed.wait_for(found, timeout=MAIL_DEADLINE)
        assert mail is not None, (
            f"no matching email to {address} within {MAIL_DEADLINE}s; "
            f"got mail for {[m.to for m in self.messages]}"
        )
        return mail


@contextlib.contextmanager
def smtp_sink(delay: float = 0.0):
    """An SMTP server on 127.0.0.1 (a free port) that collects every message in memory,
    taking ``delay`` seconds to accept each one (a slow mail server)."""
    from aiosmtpd.controller import Controller

    box = Mailbox(delay)
    box.port = free_port()
    controller = Controller(box, hostname=HOST, port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


# -- the example site -------------------------------------------------------------------


@dataclass
class Site:
    base_url: str
    env: dict
    directory: Path
    document_id: int = 0
    document_content: bytes = b""
    server: subprocess.Popen | None = None
    log_path: Path | None = None

    def manage(
        self, *args: str, check: bool = True, extra_env: dict | None = None
    ) -> subprocess.CompletedProcess:
        """Run ``manage.py`` for this site; by default fail the test on a non-zero exit."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=EXAMPLE_SITE,
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        if check:
            assert result.returncode == 0, (
                f"manage.py {' '.join(args)} exited {result.returncode}\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    def share(self, *args: str) -> str:
        """Share the site's document through ``securelink_share``; returns the URL."""
        result = self.manage(
            "securelink_share",
            "--document",
            str(self.document_id),
            "--as",
            "sharer",
            *args,
        )
        url = result.stdout.strip().splitlines()[-1]
        assert url.startswith(self.base_url + "/share/"), result.stdout
        return url

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""


def site_env(directory: Path, base_url: str, smtp_port: int) -> dict:
    """A clean environment: only what the example settings read, nothing inherited
    from the developer's shell (no EMAIL_URL, REDIS_URL or DATABASE_URL of theirs)."""
    database = directory / "db.sqlite3"
    return {
        "PATH": os.environ.get("PATH", ""),
        "LANG": "C.UTF-8",
        # The checkout, for `import wagtail_securelink` when it is not installed;
        # harmless when it is (`make test-wheel` copies no package here).
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "example_site.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BASE_URL": base_url,
        "ALLOWED_HOSTS": HOST,
        # A throw-away database: skip fsync, which makes Wagtail's many migrations
        # several times slower on a real disk and buys nothing here.
        "DATABASE_URL": f"sqlite:///{database}?init_command=PRAGMA%20synchronous%3DOFF",
        "MEDIA_ROOT": str(directory / "media"),
        "STATIC_ROOT": str(directory / "static"),
        "EMAIL_HOST": HOST,
        "EMAIL_PORT": str(smtp_port),
        "TIME_ZONE": "UTC",
    }


def control_socket_off() -> list[str]:
    """Recent gunicorn opens a control socket at one fixed path in the home directory:
    two test runs at once (or a developer's own gunicorn) would fight over it."""
    from gunicorn.config import KNOWN_SETTINGS

    if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS):
        return ["--no-control-socket"]
    return []


def start_server(site: Site, port: int) -> None:
    site.log_path = site.directory / "gunicorn.log"
    with open(site.log_path, "wb") as log:
        site.server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "example_site.wsgi",
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                "2",
                "--graceful-timeout",
                "10",
                "--access-logfile",
                "-",
                *control_socket_off(),
            ],
            cwd=EXAMPLE_SITE,
            env=site.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group, so the finalizer can reach the workers too.
            start_new_session=True,
        )


def wait_until_serving(site: Site) -> None:
    """Poll until a worker answers (any HTTP status), or fail with the server's log."""
    deadline = time.monotonic() + STARTUP_DEADLINE
    probe = site.base_url + "/share/not-a-link/"
    while True:
        if site.server.poll() is not None:
            pytest.fail(f"gunicorn exited with {site.server.returncode}:\n{site.log()}")
        try:
            requests.get(probe, timeout=5)
            return
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(
                f"gunicorn not serving after {STARTUP_DEADLINE}s:\n{site.log()}"
            )
        time.sleep(0.1)


def stop_server(site: Site) -> None:
    """Graceful stop (SIGTERM lets workers finish their requests, including work run
    after the response), then make sure nothing of the process group is left."""
    server = site.server
    if server is None or server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    try:
        os.killpg(server.pid, signal.SIGKILL)  # stray workers, if any
    except ProcessLookupError:
        pass
