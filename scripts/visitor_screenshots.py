#!/usr/bin/env python
"""Take a screenshot of every visitor page at phone and desktop widths, for
docs/visitor-guide.md.

Starts the same throw-away example site as the browser tests (tests/e2e/site.py:
gunicorn on 127.0.0.1, demo data, an SMTP server that keeps the codes in memory),
walks a visitor through it in headless Chromium (Debian's ``chromium`` package, driven
by Playwright for Python) and writes docs/screenshots/visitor-<page>-<width>.png.

    scripts/install-browser.sh          # Chromium, Playwright, axe-core
    .venv/bin/python scripts/visitor_screenshots.py
"""

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
sys.path.insert(0, str(ROOT))

from tests.e2e.site import CHROMIUM, CHROMIUM_ARGS, start_demo  # noqa: E402
from tests.harness.mail import code_from, codes_sent_to, smtp_sink  # noqa: E402

WIDTHS = {
    "phone": {"width": 375, "height": 740},
    "desktop": {"width": 1280, "height": 820},
}
MESSAGE = (
    "Here is the signed agreement, as discussed on Tuesday. Anything unclear, call me."
)


def shoot(page, name, width):
    page.evaluate("document.activeElement && document.activeElement.blur()")
    path = OUT / f"visitor-{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    print("wrote", path.relative_to(ROOT))


def verify(page, mailbox, address):
    before = codes_sent_to(mailbox, address)
    page.get_by_label("Your email address").fill(address)
    page.get_by_role("button", name="Send code").click()
    page.get_by_label("Code").fill(code_from(mailbox, address, after=before))
    page.get_by_role("button", name="Verify").click()


def tour(browser, demo, mailbox, width, viewport):
    def share(*args):
        result = demo.site.manage("securelink_share", *args, "--no-email")
        return result.stdout.strip().splitlines()[-1]

    reader = f"{width}.reader@example.com"
    document_url = share(
        "--document", str(demo.ids["msa"]), "--to", reader, "--message", MESSAGE
    )
    folder_url = share(
        "--collection", str(demo.ids["contracts"]), "--to", reader, "--role", "edit"
    )
    context = browser.new_context(
        base_url=demo.base_url, viewport=viewport, accept_downloads=True
    )
    page = context.new_page()
    try:
        page.goto(document_url)
        shoot(page, "verify-address", width)
        page.get_by_label("Your email address").fill(reader)
        page.get_by_role("button", name="Send code").click()
        shoot(page, "verify-code", width)
        page.get_by_label("Code").fill("12")
        page.get_by_role("button", name="Verify").click()
        shoot(page, "verify-code-error", width)
        page.get_by_label("Code").fill(code_from(mailbox, reader))
        page.get_by_role("button", name="Verify").click()
        shoot(page, "document", width)
        page.get_by_role("button", name="Sign out").click()
        shoot(page, "signed-out", width)

        page.goto(folder_url)
        verify(page, mailbox, reader)
        shoot(page, "folder", width)
        page.get_by_role("link", name="Signed").click()
        shoot(page, "subfolder", width)

        view_url = share(
            "--document", str(demo.ids["msa"]), "--to", reader, "--role", "view"
        )
        page.goto(view_url)
        verify(page, mailbox, reader)
        shoot(page, "view-only", width)

        page.goto(demo.ids["password_url"])
        shoot(page, "password", width)
        page.goto("/share/not-a-link/")
        shoot(page, "removed", width)
    finally:
        context.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default=CHROMIUM)
    options = parser.parse_args()
    if not Path(options.chromium).exists():
        raise SystemExit(
            f"{options.chromium} not found: run scripts/install-browser.sh"
        )
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with smtp_sink() as mailbox, tempfile.TemporaryDirectory() as tmp:
        demo = start_demo(Path(tmp), mailbox.port)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=options.chromium, args=CHROMIUM_ARGS
                )
                for width, viewport in WIDTHS.items():
                    tour(browser, demo, mailbox, width, viewport)
                browser.close()
        finally:
            demo.site.close()


if __name__ == "__main__":
    main()
