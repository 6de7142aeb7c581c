"""Issue 29's timing: from landing on a link to the document, with a passkey and with
an emailed code, in a real browser.

    make bench-passkey                              # 10 rounds
    .venv/bin/python benchmarks/passkey_vs_code.py --rounds 10 [--worker-interval 1]

The site is the browser tests' (``tests/e2e/site.py``: the example site and its demo
data under gunicorn on 127.0.0.1, called ``http://localhost:PORT``, DEBUG=1 so that
Django serves the page's script), with two changes: email goes through the task
framework's database queue and one ``manage.py db_worker`` (as
``deploy/systemd/securelink-worker@.service`` runs it: by default it looks for new
tasks every second), and the per-network rate limits of
``benchmarks/loadtest_settings.py`` (every round comes from 127.0.0.1). The SMTP
sink is ``tests/harness/mail.py``'s, in this process.

Chromium (Debian's, through Playwright) holds a virtual authenticator (Chrome
DevTools Protocol). Untimed first: the visitor proves the address with a code and
saves a passkey, then one warm-up round of each path. Then ``--rounds`` rounds, each
on two fresh links shared with the same address, the order of the two paths
alternating from round to round, the site's cookies cleared before each path (no
grant, no session):

* code: open the link → type the address, "Send code" → the code, read from the sink
  as soon as the message arrives → type it, "Verify" → the document page;
* passkey: open the link → "Use a passkey" (the authenticator answers at once) → the
  document page.

Each time runs from ``page.goto`` to the response of the document page (its GET,
status 200). Machine time only: no human reads, switches to a mailbox or types.
Prints a Markdown table; ``--json`` writes every time as well.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.site import CHROMIUM, CHROMIUM_ARGS, start_demo  # noqa: E402
from tests.harness.mail import code_from, codes_sent_to, smtp_sink  # noqa: E402
from tests.harness.server import stop_process  # noqa: E402

VISITOR = "returning@recipients.example.com"
DOCUMENT = "Statement of work"
VIRTUAL_AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


def document_response(url: str):
    def match(response):
        request = response.request
        return (
            response.url == url
            and request.method == "GET"
            and request.is_navigation_request()
            and response.status == 200
        )

    return match


def heading(page) -> str:
    return page.locator("h1").first.inner_text().strip()


def by_code(page, mailbox, url: str, mail_waits: list | None = None) -> float:
    before = codes_sent_to(mailbox, VISITOR)
    start = time.perf_counter()
    page.goto(url)
    page.get_by_label("Your email address").fill(VISITOR)
    sent = time.perf_counter()
    page.get_by_role("button", name="Send code").click()
    page.get_by_label("Code").wait_for()
    code = code_from(mailbox, VISITOR, after=before)
    if mail_waits is not None:  # "Send code" clicked → the code in the sink
        mail_waits.append(time.perf_counter() - sent)
    page.get_by_label("Code").fill(code)
    with page.expect_response(document_response(url)):
        page.get_by_role("button", name="Verify").click()
    elapsed = time.perf_counter() - start
    assert heading(page) == DOCUMENT, heading(page)
    return elapsed


def by_passkey(page, mailbox, url: str, mail_waits=None) -> float:
    messages = mailbox.count
    start = time.perf_counter()
    page.goto(url)
    button = page.get_by_role("button", name="Use a passkey")
    button.wait_for()  # passkeys.js shows it once it has run
    with page.expect_response(document_response(url)):
        button.click()
    elapsed = time.perf_counter() - start
    assert heading(page) == DOCUMENT, heading(page)
    assert mailbox.count == messages, "an email was sent on the passkey path"
    return elapsed


def summary(times: list[float]) -> dict:
    ms = sorted(t * 1000 for t in times)
    return {"median": statistics.median(ms), "min": ms[0], "max": ms[-1]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument(
        "--worker-interval",
        type=float,
        default=1.0,
        help="db_worker --interval: seconds between looks at an empty queue "
        "(default 1, db_worker's own, as the shipped systemd unit runs it)",
    )
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--json", type=Path, help="write every time here")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    with smtp_sink() as mailbox, tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        demo = start_demo(
            directory,
            mailbox.port,
            workers=args.gunicorn_workers,
            settings_module="benchmarks.loadtest_settings",
            TASK_BACKEND="database",
        )
        worker = None
        try:
            worker = demo.site.spawn(
                [
                    sys.executable,
                    "manage.py",
                    "db_worker",
                    "--interval",
                    str(args.worker_interval),
                    "--no-startup-delay",
                    "--no-reload",
                ],
                "worker.log",
            )
            # Setup and warm-up links first, then two per round.
            urls = demo.share(
                *[(DOCUMENT, [VISITOR]) for _ in range(3 + 2 * args.rounds)]
            )
            times = run(args, demo, mailbox, urls)
        finally:
            if worker is not None:
                stop_process(worker)
            demo.site.close()

    code, passkey = summary(times["code"]), summary(times["passkey"])
    mail_wait = summary(times["mail_wait"])
    print(
        f"\n{args.rounds} rounds, alternating; gunicorn {args.gunicorn_workers} "
        f"workers, 1 db_worker (--interval {args.worker_interval:g}), SQLite; "
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after\n"
    )
    print("| landing → document | median ms | min ms | max ms |")
    print("| --- | ---: | ---: | ---: |")
    rows = (
        ("emailed code", code),
        ("… of which “Send code” → code in the mailbox", mail_wait),
        ("passkey", passkey),
    )
    for name, row in rows:
        print(f"| {name} | {row['median']:.0f} | {row['min']:.0f} | {row['max']:.0f} |")
    print(f"\ncode / passkey (medians): {code['median'] / passkey['median']:.1f}×")
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args) | {"json": None}, **times}))
    return 0


def run(args, demo, mailbox, urls: list[str]) -> dict:
    times: dict[str, list[float]] = {"code": [], "passkey": [], "mail_wait": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        context = browser.new_context(base_url=demo.base_url)
        context.set_default_timeout(30_000)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        authenticator = cdp.send(
            "WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_AUTHENTICATOR}
        )["authenticatorId"]

        # Untimed: a code, then "Save a passkey"; one warm-up round of each path.
        by_code(page, mailbox, urls[0])
        page.get_by_role("button", name="Save a passkey").click()
        page.get_by_text("Passkey saved.").wait_for()
        credentials = cdp.send(
            "WebAuthn.getCredentials", {"authenticatorId": authenticator}
        )["credentials"]
        assert len(credentials) == 1, credentials
        for path, url in ((by_code, urls[1]), (by_passkey, urls[2])):
            context.clear_cookies()
            path(page, mailbox, url)

        paths = {"code": by_code, "passkey": by_passkey}
        for n in range(args.rounds):
            order = ["code", "passkey"] if n % 2 == 0 else ["passkey", "code"]
            for i, name in enumerate(order):
                context.clear_cookies()
                url = urls[3 + 2 * n + i]
                elapsed = paths[name](page, mailbox, url, times["mail_wait"])
                times[name].append(elapsed)
                print(f"round {n + 1:2d} {name:7s} {elapsed * 1000:7.0f} ms")
        browser.close()
    return times


if __name__ == "__main__":
    sys.exit(main())
