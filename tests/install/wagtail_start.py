#!/usr/bin/env python3
"""Install this checkout in a new `wagtail start` project, as README.md says, and use it.

`make test-wagtail-start` runs it (and .ci/run). In a temporary directory:

1. a fresh virtualenv from this interpreter (the newest supported Python), then
   ``pip install 'wagtail>=8.0,<8.1'`` and ``wagtail start mysite``;
2. the install steps of docs/installation.md, read from between its install-steps
   markers (tests/install/docs_steps.py) and nothing else: the ``pip install`` line (with
   ``-r requirements.txt`` and this checkout in place of the package name), the apps,
   the settings, the URL include and ``migrate``;
3. the "Local development" base URL in the template's dev settings, a superuser, a
   document made with Wagtail's Document model, ``securelink_share`` to one address;
4. gunicorn, 3 workers, on a free port of 127.0.0.1 with the template's dev settings
   (console email: the emails land in gunicorn's output, captured to a file);
5. the visitor flow with ``requests``: open the link, send the address, read the code
   from the captured email, enter it, download the document and compare the bytes;
   then the per-network send limit holds across the workers: the 11th send from one
   network is refused with 429 although the sends were served by more than one worker.

Any failed step stops the script with a non-zero exit and the step's output; gunicorn
is stopped whatever happens. ``--keep`` leaves the directory for a look afterwards.
"""

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import docs_steps  # noqa: E402

CHECKOUT = docs_steps.ROOT
RECIPIENT = "alice@example.com"
SEND_LIMIT = 10  # WAGTAIL_SECURELINK_RATE_SEND_PER_NETWORK's default, "10/h"
WORKERS = 3


class StepFailed(Exception):
    pass


@contextmanager
def step(title: str):
    print(f"--- {title}", flush=True)
    started = time.monotonic()
    yield
    print(f"    ok ({time.monotonic() - started:.1f} s)", flush=True)


def run(args, *, cwd, env=None, input_text=None) -> str:
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        input=input_text,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if result.returncode != 0:
        raise StepFailed(
            f"{' '.join(map(str, args))} exited {result.returncode}\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- 2. the documented install steps ---------------------------------------------------


def apply_settings(project: Path, steps: docs_steps.Steps) -> None:
    base = project / "mysite" / "settings" / "base.py"
    text = base.read_text()
    match = re.search(r"INSTALLED_APPS = \[\n(.*?)\n\]", text, flags=re.S)
    if not match:
        raise StepFailed(f"no INSTALLED_APPS list in {base}")
    installed = re.findall(r'"([\w.]+)"', match.group(1))
    apps = docs_steps.add_apps(installed, steps.apps)
    listing = "".join(f'    "{app}",\n' for app in apps)
    text = (
        text[: match.start()] + f"INSTALLED_APPS = [\n{listing}]" + text[match.end() :]
    )
    text += "\n" + "".join(
        f"{name} = {value}\n" for name, value in steps.settings.items()
    )
    base.write_text(text)

    urls = project / "mysite" / "urls.py"
    lines = urls.read_text().splitlines(keepends=True)
    anchor = next(
        (
            i
            for i, line in enumerate(lines)
            if 'path("", include(wagtail_urls))' in line
        ),
        None,
    )
    if anchor is None:
        raise StepFailed(f'no path("", include(wagtail_urls)) in {urls}')
    indent = lines[anchor][: len(lines[anchor]) - len(lines[anchor].lstrip())]
    lines[anchor:anchor] = [f"{indent}{line}\n" for line in steps.url_lines]
    urls.write_text("".join(lines))
    print(f"    INSTALLED_APPS: {apps}")
    print(f"    settings: {steps.settings}; urls: {steps.url_lines}")


def documented_install(tmp: Path, project: Path, python: Path) -> None:
    steps = docs_steps.read_steps(docs_steps.DOCS)
    if not (steps.commands and steps.apps and steps.url_lines):
        raise StepFailed(f"could not read the install steps of {docs_steps.DOCS}")
    settings_done = False
    for command in steps.commands:
        if command.startswith("pip install "):
            # The package from this checkout, resolved together with the project's
            # own requirements, as `pip install -r requirements.txt wagtail-securelink`.
            packages = command.split()[2:]
            packages = [
                str(CHECKOUT) if p == "wagtail-securelink" else p for p in packages
            ]
            with step(f"{command}  (as: pip install -r requirements.txt {CHECKOUT})"):
                # setuptools builds from the checkout through its build/ folder and
                # never deletes from it: a module or migration removed since an
                # earlier build would still be in the wheel.
                shutil.rmtree(CHECKOUT / "build", ignore_errors=True)
                run(
                    [
                        python,
                        "-m",
                        "pip",
                        "install",
                        "-q",
                        "-r",
                        "requirements.txt",
                        *packages,
                    ],
                    cwd=project,
                )
        elif command.startswith("python manage.py "):
            if not settings_done:
                with step("the documented settings and URL include"):
                    apply_settings(project, steps)
                settings_done = True
            with step(command):
                out = run([python, *command.split()[1:], "--noinput"], cwd=project)
                lines = out.splitlines()
                applied = sum("Applying " in line for line in lines)
                print("\n".join(x for x in lines if "Applying " not in x)[-1000:])
                print(f"    {applied} migrations applied")
        else:
            raise StepFailed(
                f"a step this script does not know how to run: {command!r}"
            )
    if not settings_done:
        raise StepFailed("the install steps never ran manage.py (no migrate?)")


# -- 5. the visitor, run inside the project's virtualenv (it has requests) --------------


def wait_for(predicate, what: str, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise StepFailed(f"timed out after {seconds:.0f} s waiting for {what}")


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if not match:
        raise StepFailed("no CSRF token in the form")
    return match.group(1)


def expect(response, status: int, what: str):
    if response.status_code != status:
        raise StepFailed(
            f"{what}: {response.request.method} {response.url} answered "
            f"{response.status_code}, expected {status}\n{response.text[:2000]}"
        )
    return response


def visitor_flow(url: str, server_log: Path, access_log: Path, expected: Path) -> None:
    import requests

    visitor = requests.Session()
    with step("the visitor opens the link"):
        page = expect(visitor.get(url, timeout=30), 200, "landing page").text
        action = re.search(r'<form method="post" action="([^"]*send[^"]*)"', page)
        if not action:
            raise StepFailed(f"no address form on the landing page\n{page[:2000]}")
        send_url = requests.compat.urljoin(url, action.group(1))
        token = csrf_token(page)

    with step(
        f"the visitor sends {RECIPIENT}; the code is read from gunicorn's output"
    ):
        offset = server_log.stat().st_size
        response = visitor.post(
            send_url,
            data={"csrfmiddlewaretoken": token, "email": RECIPIENT},
            allow_redirects=False,
            timeout=30,
        )
        expect(response, 303, "sending the address")

        def new_code():
            text = server_log.read_bytes()[offset:].decode("utf-8", "replace")
            found = re.findall(r"Your code is (\d{6,10})", text)
            return found[-1] if found else None

        code = wait_for(new_code, "the code email in gunicorn's output")
        print(f"    code {code}")

    with step("the visitor enters the code"):
        code_url = requests.compat.urljoin(url, response.headers["Location"])
        page = expect(visitor.get(code_url, timeout=30), 200, "code page").text
        response = visitor.post(
            code_url,
            data={"csrfmiddlewaretoken": csrf_token(page), "code": code},
            timeout=30,
        )
        page = expect(response, 200, "after the code").text

    with step("the visitor downloads the document; the bytes are the uploaded ones"):
        href = re.search(r'href="([^"]+)" download', page)
        if not href:
            raise StepFailed(f"no download link after the code\n{page[:2000]}")
        download = visitor.get(requests.compat.urljoin(url, href.group(1)), timeout=30)
        expect(download, 200, "download")
        if download.content != expected.read_bytes():
            raise StepFailed("the downloaded bytes differ from the uploaded file")
        print(f"    {len(download.content)} bytes, identical")

    with step(
        f"per-network send limit across {WORKERS} workers: send {SEND_LIMIT + 1}"
    ):
        # One send so far (above). Each further send comes on a new connection; gunicorn
        # hands each connection to whichever worker accepts it first.
        statuses = []
        for number in range(2, SEND_LIMIT + 2):
            response = visitor.post(
                send_url,
                data={
                    "csrfmiddlewaretoken": token,
                    "email": f"visitor{number}@example.net",
                },
                headers={"Connection": "close"},
                allow_redirects=False,
                timeout=30,
            )
            statuses.append(response.status_code)
        print(f"    sends 2..{SEND_LIMIT + 1}: {statuses}")
        if statuses != [303] * (SEND_LIMIT - 1) + [429]:
            raise StepFailed(
                f"expected {SEND_LIMIT - 1} x 303 then 429, got {statuses}"
            )
        send_path = send_url.split("://", 1)[1].split("/", 1)[1]

        def logged_sends():
            return [
                line.split()[0]
                for line in access_log.read_text().splitlines()
                if '"POST ' in line and send_path in line
            ]

        # A worker writes its access-log line after the response has gone out, so the
        # last send's line can lag the client by a moment.
        wait_for(
            lambda: len(logged_sends()) >= SEND_LIMIT + 1,
            f"{SEND_LIMIT + 1} sends in the access log",
            seconds=10,
        )
        pids = logged_sends()
        if len(pids) != SEND_LIMIT + 1:
            raise StepFailed(
                f"expected {SEND_LIMIT + 1} sends in the access log: {pids}"
            )
        served = {pid: pids.count(pid) for pid in pids}
        print(f"    sends served per worker pid: {served}")
        # A counter kept in one process would have let the 11th through in any worker
        # that had not itself counted 10 sends: it is shared only if one of the first
        # 10 went to another worker than the 11th.
        if served[pids[-1]] > SEND_LIMIT:
            raise StepFailed(
                "every send went to one worker, so this run does not show the limit "
                "holding across processes; run it again"
            )


# -- the whole scenario -----------------------------------------------------------------


def start_gunicorn(project: Path, venv: Path, port: int, tmp: Path):
    server_log = tmp / "gunicorn.log"
    access_log = tmp / "access.log"
    log = server_log.open("wb")
    process = subprocess.Popen(
        [
            venv / "bin" / "gunicorn",
            "mysite.wsgi:application",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(access_log),
            "--access-logformat",
            '%(p)s "%(r)s" %(s)s',  # %(p)s is the worker's pid, as <1234>
        ],
        cwd=project,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "mysite.settings.dev",
            "PYTHONUNBUFFERED": "1",
        },
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    return process, server_log, access_log


def stop(process) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


def scenario(tmp: Path, wagtail_spec: str) -> None:
    venv = tmp / "venv"
    python = venv / "bin" / "python"
    project = tmp / "mysite"
    port = free_port()

    with step(
        f"fresh virtualenv ({sys.version.split()[0]}), pip install '{wagtail_spec}'"
    ):
        run([sys.executable, "-m", "venv", venv], cwd=tmp)
        run([python, "-m", "pip", "install", "-q", "--upgrade", "pip"], cwd=tmp)
        run([python, "-m", "pip", "install", "-q", wagtail_spec], cwd=tmp)
    with step("wagtail start mysite"):
        run([venv / "bin" / "wagtail", "start", "mysite"], cwd=tmp)
        print(
            "    requirements.txt: "
            + " ".join((project / "requirements.txt").read_text().split())
        )

    documented_install(tmp, project, python)
    print(
        run(
            [
                python,
                "-c",
                "import django, wagtail; print('    Django', django.get_version(), 'Wagtail', wagtail.__version__)",
            ],
            cwd=tmp,
        ),
        end="",
    )

    base_url = f"http://127.0.0.1:{port}"
    with step(
        f"Local development (docs/installation.md): base URL {base_url} in dev settings"
    ):
        dev = project / "mysite" / "settings" / "dev.py"
        dev.write_text(
            dev.read_text() + f'\nWAGTAIL_SECURELINK_BASE_URL = "{base_url}"\n'
        )

    with step("createsuperuser, a document, securelink_share"):
        run(
            [
                python,
                "manage.py",
                "createsuperuser",
                "--noinput",
                "--username",
                "admin",
                "--email",
                "admin@example.com",
            ],
            cwd=project,
            env={"DJANGO_SUPERUSER_PASSWORD": secrets.token_urlsafe(16)},
        )
        document_file = tmp / "contract.pdf"
        document_file.write_bytes(
            b"%PDF-1.4\n" + secrets.token_bytes(40_000) + b"\n%%EOF\n"
        )
        out = run(
            [
                python,
                "manage.py",
                "shell",
                "-c",
                "from django.core.files import File\n"
                "from wagtail.documents import get_document_model\n"
                f"with open({str(document_file)!r}, 'rb') as f:\n"
                "    d = get_document_model()(title='Contract')\n"
                "    d.file.save('contract.pdf', File(f), save=True)\n"
                "print('DOCUMENT_ID=%s' % d.pk)\n",
            ],
            cwd=project,
        )
        document_id = re.search(r"DOCUMENT_ID=(\d+)", out).group(1)
        out = run(
            [
                python,
                "manage.py",
                "securelink_share",
                "--document",
                document_id,
                "--to",
                RECIPIENT,
                "--as",
                "admin",
            ],
            cwd=project,
        )
        url = out.strip().splitlines()[-1]
        if not url.startswith(base_url + "/"):
            raise StepFailed(
                f"securelink_share printed no link on its last line:\n{out}"
            )
        # The invitation went to the console: the link must be whole on one line there.
        if not any(url in line and line != url for line in out.splitlines()):
            raise StepFailed(
                f"the invitation printed to the console cuts the link:\n{out}"
            )
        print(f"    {url}")

    run([python, "-m", "pip", "install", "-q", "gunicorn"], cwd=tmp)
    process = None
    try:
        with step(
            f"gunicorn, {WORKERS} workers, on 127.0.0.1:{port} (mysite.settings.dev)"
        ):
            process, server_log, access_log = start_gunicorn(project, venv, port, tmp)

            def ready():
                if process.poll() is not None:
                    raise StepFailed(
                        f"gunicorn exited:\n{server_log.read_text()[-3000:]}"
                    )
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        return True
                except OSError:
                    return False

            wait_for(ready, "gunicorn to listen")
        # In the project's virtualenv, which has requests (a dependency of Wagtail).
        flow = subprocess.run(
            [
                python,
                __file__,
                "--visitor-flow",
                url,
                server_log,
                access_log,
                document_file,
            ],
            cwd=tmp,
            timeout=900,
            check=False,
        )
        if flow.returncode != 0:
            raise StepFailed("the visitor flow failed (above)")
    except StepFailed:
        if process is not None:
            print(f"--- gunicorn output (end)\n{server_log.read_text()[-4000:]}")
        raise
    finally:
        stop(process)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory"
    )
    parser.add_argument(
        "--wagtail", default="wagtail>=8.0,<8.1", help="what `pip install` gets"
    )
    parser.add_argument(
        "--visitor-flow",
        nargs=4,
        metavar=("URL", "LOG", "ACCESS", "FILE"),
        help=argparse.SUPPRESS,
    )
    args = parser.parse_args()

    if args.visitor_flow:
        url, server_log, access_log, expected = args.visitor_flow
        try:
            visitor_flow(url, Path(server_log), Path(access_log), Path(expected))
        except StepFailed as exc:
            print(f"FAILED: {exc}", flush=True)
            return 1
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="securelink-wagtail-start-"))
    started = time.monotonic()
    try:
        scenario(tmp, args.wagtail)
    except StepFailed as exc:
        print(f"FAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        if args.keep:
            print(f"--- kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"--- wagtail start: all steps passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
