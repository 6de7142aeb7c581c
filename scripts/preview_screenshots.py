#!/usr/bin/env python
"""Take the screenshots of a page preview for docs/admin-guide.md: the *Share preview*
form, the reviewer's preview with its banner and comment form, and the comment on
*Manage access*.

Starts the same throw-away example site as the browser tests (tests/e2e/site.py:
gunicorn on 127.0.0.1, demo data with a draft page, an SMTP server that keeps the
codes in memory) and drives headless Chromium (Debian's ``chromium`` package, through
Playwright for Python). PNGs land in docs/screenshots/preview-*.png.

    scripts/install-browser.sh          # Chromium, Playwright, axe-core
    .venv/bin/python scripts/preview_screenshots.py
"""

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
sys.path.insert(0, str(ROOT))

from tests.e2e.helpers import sign_in_to_admin  # noqa: E402
from tests.e2e.site import CHROMIUM, CHROMIUM_ARGS, start_demo  # noqa: E402
from tests.harness.mail import code_from, invitation_link, smtp_sink  # noqa: E402

REVIEWER = "pia@example.com"
COMMENT = "The price table needs a footnote on VAT. Otherwise ready to publish."


def shoot(page, name, full_page=True):
    page.evaluate("document.activeElement && document.activeElement.blur()")
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    print("wrote", path.relative_to(ROOT))


def tour(browser, demo, mailbox):
    viewport = {"width": 1280, "height": 860}
    editor = browser.new_context(base_url=demo.base_url, viewport=viewport).new_page()
    sign_in_to_admin(editor)
    editor.goto(f"/admin/securelink/pages/{demo.ids['page']}/share/")
    editor.get_by_label("People to share with").fill(REVIEWER)
    editor.get_by_label("Message").fill("Does the new pricing read well?")
    editor.get_by_label("Reviewers may comment").check()
    shoot(editor, "preview-share-form")
    editor.locator("form[action*='/share/'] button[type=submit]").click()
    editor.wait_for_url("**/shared/")

    reviewer = browser.new_context(base_url=demo.base_url, viewport=viewport).new_page()
    reviewer.goto(invitation_link(mailbox, REVIEWER))
    reviewer.get_by_label("Your email address").fill(REVIEWER)
    reviewer.get_by_role("button", name="Send code").click()
    reviewer.get_by_label("Code").fill(code_from(mailbox, REVIEWER))
    reviewer.get_by_role("button", name="Verify").click()
    reviewer.get_by_text("Comment on this page").click()
    reviewer.get_by_label("Your comment").fill(COMMENT)
    shoot(reviewer, "preview-reviewer", full_page=False)
    reviewer.get_by_role("button", name="Send comment").click()

    editor.goto(f"/admin/securelink/pages/{demo.ids['page']}/access/")
    comments = editor.locator(".securelink-comments-block").first
    comments.wait_for()
    # Wagtail scrolls inside its own container: shoot the comments and their heading.
    path = OUT / "preview-comments.png"
    comments.screenshot(path=str(path))
    print("wrote", path.relative_to(ROOT))


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
                tour(browser, demo, mailbox)
                browser.close()
        finally:
            demo.site.close()


if __name__ == "__main__":
    main()
