"""The example site under gunicorn on 127.0.0.1 for the acceptance, scale-out and
browser tests: a temporary directory (MEDIA_ROOT, logs, by default a SQLite database),
a clean environment, ``manage.py`` commands, gunicorns on free ports. Every wait polls
with a deadline; :meth:`Site.close` stops each process group it started.

``tests/scaleout/cluster.py`` adds PostgreSQL, Redis and a task worker; the SMTP sink
is ``mail.py``. No pytest here: ``benchmarks/loadtest.py`` and ``scripts/`` use it too.
"""

import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_SITE = ROOT / "example_site"
HOST = "127.0.0.1"
# Generous: the suites may share a loaded machine. Waits end as soon as they can.
STARTUP_DEADLINE = 90
COMMAND_TIMEOUT = 300

# After ``migrate``: one document and the user that ``securelink_share --as`` names.
# One ``manage.py shell`` process instead of two saves a Django start-up, and no
# test-only command has to live in the package or in the example site.
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


class HarnessError(RuntimeError):
    """A server did not start, a command failed, an email never came."""


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
            raise HarnessError(f"timed out after {deadline}s waiting for {what}")
        time.sleep(interval)


def site_env(
    directory: Path,
    base_url: str,
    smtp_port: int,
    database_url: str = "",
    settings_module: str = "example_site.settings",
    **extra: str,
) -> dict:
    """A clean environment: only what the example settings read, nothing inherited
    from the developer's shell (no EMAIL_URL, REDIS_URL or DATABASE_URL of theirs).

    Without ``database_url``, a throw-away SQLite database in ``directory``.
    """
    if not database_url:
        # Skip fsync, which makes Wagtail's many migrations several times slower on a
        # real disk and buys nothing here.
        database = directory / "db.sqlite3"
        database_url = f"sqlite:///{database}?init_command=PRAGMA%20synchronous%3DOFF"
    return {
        "PATH": os.environ.get("PATH", ""),
        "LANG": "C.UTF-8",
        # The checkout, for `import wagtail_securelink` when it is not installed;
        # harmless when it is (`make test-wheel` copies no package here).
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BASE_URL": base_url,
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(directory / "media"),
        "STATIC_ROOT": str(directory / "static"),
        "EMAIL_HOST": HOST,
        "EMAIL_PORT": str(smtp_port),
        "TIME_ZONE": "UTC",
        **extra,
    }


def control_socket_off() -> list[str]:
    """Recent gunicorn opens a control socket at one fixed path in the home directory:
    two test runs at once (or a developer's own gunicorn) would fight over it."""
    from gunicorn.config import KNOWN_SETTINGS

    if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS):
        return ["--no-control-socket"]
    return []


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM (graceful: workers finish their requests, including work run after the
    response), then make sure nothing of the process group is left."""
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


class Site:
    """The example site in ``directory``: ``processes`` gunicorns on free ports, all
    on one database (by default a throw-away SQLite file in ``directory``).

    Links are built from BASE_URL (the proxy's address); process 0 plays it. ``env``
    adds to or overrides :func:`site_env`. ``public_host``: the host name in those
    URLs (the servers still listen on 127.0.0.1 only): ``localhost`` for the browser
    tests, since WebAuthn takes a domain for its RP id and never an IP address.
    """

    def __init__(
        self,
        directory: Path,
        smtp_port: int,
        processes: int = 1,
        database_url: str = "",
        settings_module: str = "example_site.settings",
        public_host: str = HOST,
        **env: str,
    ):
        self.directory = directory
        self.ports = [free_port() for _ in range(processes)]
        self.bases = [f"http://{public_host}:{port}" for port in self.ports]
        self.base_url = self.bases[0]
        if public_host != HOST:
            env.setdefault("ALLOWED_HOSTS", f"{public_host},{HOST}")
        self.env = site_env(
            directory,
            self.base_url,
            smtp_port,
            database_url=database_url,
            settings_module=settings_module,
            **env,
        )
        self.servers: list[subprocess.Popen] = []
        self.document_id = 0
        self.document_content = b""

    # -- commands --

    def manage(
        self, *args: str, check: bool = True, extra_env: dict | None = None
    ) -> subprocess.CompletedProcess:
        """Run ``manage.py`` for this site; by default raise on a non-zero exit."""
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
            raise HarnessError(
                f"manage.py {' '.join(args)} exited {result.returncode}\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    def set_up(self, document_size: int = 100_000) -> None:
        """Migrate, then add one document (random bytes behind a PDF header: a
        download must return them unchanged) and the user ``sharer``."""
        self.manage("migrate", "--noinput", "-v", "0")
        content = random.Random(8).randbytes(document_size)
        self.document_content = b"%PDF-1.4\n" + content
        source = self.directory / "source.pdf"
        source.write_bytes(self.document_content)
        result = self.manage(
            "shell", "-v", "0", "-c", SET_UP_SITE, extra_env={"DOC_SOURCE": str(source)}
        )
        self.document_id = int(result.stdout.strip().splitlines()[-1])

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
        if not url.startswith(self.base_url + "/share/"):
            raise HarnessError(f"securelink_share printed {result.stdout!r}")
        return url

    # -- processes --

    def spawn(self, args: list[str], log_name: str) -> subprocess.Popen:
        with open(self.directory / log_name, "ab") as log:
            return subprocess.Popen(
                args,
                cwd=EXAMPLE_SITE,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group, so that close() reaches gunicorn's workers too.
                start_new_session=True,
            )

    def start_gunicorn(
        self,
        workers: int = 2,
        threads: int = 1,
        access_log: bool = False,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        """Start ``gunicorn example_site.wsgi`` on each port, without waiting: the
        workers import Django only at boot, so they can start while the database is
        migrated. Process n writes to ``gunicorn-<n>.log``."""
        for index, port in enumerate(self.ports):
            self.servers.append(
                self.spawn(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "example_site.wsgi",
                        "--bind",
                        f"{HOST}:{port}",
                        "--workers",
                        str(workers),
                        *(["--threads", str(threads)] if threads > 1 else []),
                        "--graceful-timeout",
                        "10",
                        *(["--access-logfile", "-"] if access_log else []),
                        *extra_args,
                        *control_socket_off(),
                    ],
                    f"gunicorn-{index}.log",
                )
            )

    def wait_until_serving(self) -> None:
        """Poll until a worker of every gunicorn answers (any HTTP status), or raise
        with the server's log."""
        for index, (server, base) in enumerate(
            zip(self.servers, self.bases, strict=True)
        ):

            def serving(index=index, server=server, base=base):
                if server.poll() is not None:
                    raise HarnessError(
                        f"gunicorn {index} exited with {server.returncode}:\n"
                        + self.log(f"gunicorn-{index}.log")
                    )
                try:
                    requests.get(base + "/share/not-a-link/", timeout=10)
                    return True
                except (requests.ConnectionError, requests.Timeout):
                    return False  # not listening yet, or its workers still booting

            poll(serving, STARTUP_DEADLINE, f"gunicorn {index} on {base}", 0.1)

    def log(self, name: str = "gunicorn-0.log") -> str:
        path = self.directory / name
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        """Stop every gunicorn gracefully (see :func:`stop_process`)."""
        for server in self.servers:
            stop_process(server)
        self.servers = []
