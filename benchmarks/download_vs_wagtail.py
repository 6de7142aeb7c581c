"""The verified download against Wagtail's own serve view, on the example site as shipped.

    .venv/bin/python benchmarks/download_vs_wagtail.py [--rounds 5] [--seconds 5]

A throw-away copy of the example site (its own settings, DEBUG off, SQLite in a
temporary directory) under gunicorn with 2 sync workers on 127.0.0.1; two 100 KB PDFs,
one kept public and served by Wagtail's ``/documents/`` view, one shared with a
specific person whose browser holds a real grant cookie; ``wrk -t2 -c8`` on each in
turn, round after round, and the ratio of each pair. Needs Debian's ``wrk``. Stops
gunicorn and deletes the directory whatever happens.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SITE = REPO / "example_site"
HOST = "127.0.0.1"

SETUP = """
import json
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.test import RequestFactory
from wagtail.documents import get_document_model
from wagtail_securelink import services
from wagtail_securelink.verification import grants

Document = get_document_model()
owner = get_user_model().objects.create_superuser("bench", "bench@example.com", "x")
public = Document(title="Public")
public.file.save("public.pdf", ContentFile(b"%PDF-1.4\\n" + b"x" * 100_000))
public.save()
shared = Document(title="Shared")
shared.file.save("shared.pdf", ContentFile(b"%PDF-1.4\\n" + b"y" * 100_000))
shared.save()
link = services.create_link(
    target=shared, created_by=owner, recipients=["alice@example.com"],
    send_invitations=False,
)
_grant, value = services.open_grant(
    link, RequestFactory().get("/"), recipient=link.recipients.get()
)
print("URLS", json.dumps({
    "ours": f"/share/{link.token}/download/",
    "cookie": f"{grants.cookie_name(link, False)}={value}",
    "wagtail": public.url,
}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wrk(url: str, seconds: int, cookie: str = "") -> float:
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s", "--timeout", "10s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"errors while loading {url}:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument(
        "--database-url",
        default="",
        help="an empty, throw-away database (postgres://…) instead of SQLite; "
        "CONN_MAX_AGE and DATABASE_POOL in the environment reach the site",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("needs wrk (apt-get install wrk)")
    directory = Path(tempfile.mkdtemp(prefix="securelink-download-"))
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "example_site.settings",
        # This checkout's package, whatever the virtualenv has installed.
        "PYTHONPATH": os.pathsep.join([str(REPO), str(SITE)]),
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-secret-key-not-for-production-0123456789abcdef",
        "BASE_URL": f"http://{HOST}:{port}",
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": args.database_url or f"sqlite:///{directory / 'db.sqlite3'}",
        "MEDIA_ROOT": str(directory / "media"),
    }
    server = None
    try:
        manage = [sys.executable, "manage.py"]
        subprocess.run(
            [*manage, "migrate", "--noinput"],
            cwd=SITE,
            env=env,
            check=True,
            capture_output=True,
            timeout=600,
        )
        out = subprocess.run(
            [*manage, "shell", "-c", SETUP],
            cwd=SITE,
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
        urls = json.loads(out.split("URLS ", 1)[1].splitlines()[0])
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "example_site.wsgi",
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                "2",
            ],
            cwd=SITE,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://{HOST}:{port}"
        # Until both workers answer: the master listens long before its workers have
        # loaded Django, and wrk would count those seconds as a round of timeouts.
        deadline = time.monotonic() + 120
        answered = 0
        while answered < 8:
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("gunicorn did not start")
            try:
                # An http:// URL on 127.0.0.1 that this script built.
                with urllib.request.urlopen(base + urls["wagtail"], timeout=30):  # noqa: S310
                    answered += 1
            except OSError:
                time.sleep(0.2)
        wrk(base + urls["ours"], 2, urls["cookie"])  # warm both paths
        wrk(base + urls["wagtail"], 2)
        ours, theirs = [], []
        for _ in range(args.rounds):
            ours.append(wrk(base + urls["ours"], args.seconds, urls["cookie"]))
            theirs.append(wrk(base + urls["wagtail"], args.seconds))
            print(f"round: ours {ours[-1]:.0f} req/s, Wagtail {theirs[-1]:.0f} req/s")
        ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
        print(
            f"median: ours {statistics.median(ours):.0f} req/s, Wagtail "
            f"{statistics.median(theirs):.0f} req/s, ratio "
            f"{statistics.median(ratios):.2f}x (min {min(ratios):.2f}, "
            f"max {max(ratios):.2f})"
        )
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
