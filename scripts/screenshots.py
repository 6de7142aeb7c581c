#!/usr/bin/env python
"""Take a screenshot of every admin screen of wagtail-securelink, for docs/admin-guide.md.

Runs the example site on 127.0.0.1 with a throw-away database and media folder, loads
the demo data plus a few more links and events, and drives headless Chromium (Debian's
``chromium`` package, through Playwright for Python; Playwright's own browser download
is not needed) through the admin. PNGs land in docs/screenshots/.

    .venv/bin/pip install playwright
    apt-get install -y chromium
    .venv/bin/python scripts/screenshots.py [--chromium /usr/bin/chromium] [--port 8765]
"""

import argparse
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "example_site"
OUT = ROOT / "docs" / "screenshots"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Extra demo content, run in `manage.py shell`: more links, opens and a forward attempt.
EXTRA_DATA = """
import datetime
from django.contrib.auth import get_user_model
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.models import Collection
from wagtail_securelink import services
from wagtail_securelink.audit.events import record_event

admin = get_user_model().objects.get(username="admin")
Document = get_document_model()
msa = Document.objects.get(title="Master services agreement")
sow = Document.objects.get(title="Statement of work")
press = Document.objects.get(title="Press release")
marketing = Collection.objects.get(name="Marketing")
now = timezone.now()

first = msa and services.create_link(
    target=msa, created_by=admin, recipients=["carol@example.net"], role="view",
    expires_at=now + datetime.timedelta(days=2), message="For Friday's meeting.",
    send_invitations=False,
)
second = services.create_link(
    target=sow, created_by=admin, recipients=["dave@example.com", "erin@example.org"],
    send_invitations=False,
)
try:
    services.create_link(
        target=marketing, created_by=admin, audience="organization", role="download",
        send_invitations=False,
    )
except Exception as error:
    print("collection link skipped:", error)
old = services.create_link(
    target=press, created_by=admin, recipients=["frank@example.com"], send_invitations=False,
)
services.revoke_link(old, user=admin)

demo = services.create_link.__globals__["ShareLink"].objects.filter(document=msa).order_by("pk").first()
alice = demo.recipients.get(email="alice@example.com")
for name in ("opened", "code_requested", "code_sent", "verified", "viewed", "downloaded"):
    record_event(name, link=demo, recipient=alice if name != "opened" else None)
record_event("unlisted_address", link=demo, email="mallory@example.net")
erin = second.recipients.get(email="erin@example.org")
erin.locked_at = now
erin.failure_count = 100
erin.save()
type(demo).objects.filter(pk=demo.pk).update(open_count=3, last_opened_at=now)
alice.first_opened_at = now
alice.save()
# People outside the organisation: one person's own end of access, on two links.
services.set_access_end(
    type(alice).objects.filter(email="carol@example.net"),
    now + datetime.timedelta(days=5),
)
print("extra demo data loaded")
"""


def run(*args, env):
    subprocess.run([sys.executable, "manage.py", *args], cwd=SITE, env=env, check=True)


def wait_for(url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback only)
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the example site did not answer at {url}")


# ``--only a,b``: write only these screenshots (the tour still runs in full).
ONLY: set = set()


def shoot(page, name, url=None, full_page=True):
    if url:
        page.goto(url)
    if ONLY and name not in ONLY:
        return
    page.wait_for_load_state("networkidle")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    # Wagtail scrolls inside containers, not only the window.
    page.evaluate(
        "window.scrollTo(0, 0);"
        "document.querySelectorAll('*').forEach(e => { if (e.scrollTop) e.scrollTop = 0; })"
    )
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    print("wrote", path.relative_to(ROOT))


def take(base, chromium, tmp):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        browser = p.chromium.launch_persistent_context(
            profile,
            executable_path=chromium,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 860},
        )
        page = browser.new_page()
        try:
            _tour(page, base)
        except Exception:
            (tmp.parent / "securelink-screenshots-failure.html").write_text(
                page.content()
            )
            raise
        finally:
            browser.close()


def _tour(page, base):
    if True:
        page.goto(f"{base}/admin/login/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", "changeme")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/admin/")

        shoot(page, "dashboard", f"{base}/admin/")
        shoot(page, "documents-listing", f"{base}/admin/documents/")
        page.click("text=Master services agreement")
        page.wait_for_url("**/documents/edit/**")
        shoot(page, "document-edit", full_page=False)
        document_id = re.search(r"/documents/edit/(\d+)/", page.url).group(1)

        page.goto(f"{base}/admin/securelink/documents/{document_id}/share/")
        page.fill("#id_recipients", "grace@example.com, heidi@example.org")
        page.fill("#id_message", "The signed version, as discussed.")
        page.set_viewport_size({"width": 1280, "height": 1750})
        shoot(page, "share-form")
        page.set_viewport_size({"width": 1280, "height": 860})
        page.click("form[action*='/share/'] button[type=submit]")
        page.wait_for_url("**/shared/")
        shoot(page, "share-result")

        manage = f"{base}/admin/securelink/documents/{document_id}/access/"
        shoot(page, "manage-access", manage)
        page.get_by_role("link", name="Revoke link").first.click()
        page.wait_for_url("**/revoke/**")
        shoot(page, "revoke-confirm")
        shoot(page, "shared-links", f"{base}/admin/securelink/shared-links/")
        # The same screens on a phone (375 px).
        page.set_viewport_size({"width": 375, "height": 812})
        shoot(page, "shared-links-phone")
        shoot(page, "manage-access-phone", manage)
        shoot(
            page,
            "share-form-phone",
            f"{base}/admin/securelink/documents/{document_id}/share/",
        )
        page.set_viewport_size({"width": 1280, "height": 860})
        page.goto(f"{base}/admin/securelink/shared-links/")
        page.check("thead input[type=checkbox]")
        page.wait_for_timeout(300)
        shoot(page, "shared-links-bulk", full_page=False)
        page.click(".bulk-actions-buttons a:has-text('Revoke')")
        page.wait_for_load_state("networkidle")
        shoot(page, "bulk-revoke-confirm")
        shoot(page, "share-collection", f"{base}/admin/securelink/collections/")
        page.click("a[href*='/securelink/collections/'][href$='/share/'] >> nth=0")
        page.wait_for_url("**/share/")
        page.set_viewport_size({"width": 1280, "height": 1750})
        shoot(page, "share-collection-form")
        page.set_viewport_size({"width": 1280, "height": 860})
        shoot(page, "activity-report", f"{base}/admin/securelink/activity/")
        shoot(page, "site-history", f"{base}/admin/reports/site-history/")
        shoot(page, "people", f"{base}/admin/securelink/people/")
        page.click("a:has-text('carol@example.net')")
        page.wait_for_url("**/people/person/**")
        shoot(page, "person")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--only", default="", help="comma-separated screenshot names")
    options = parser.parse_args()
    ONLY.update(name for name in options.only.split(",") if name)
    if not Path(options.chromium).exists():
        raise SystemExit(f"{options.chromium} not found: apt-get install -y chromium")
    OUT.mkdir(parents=True, exist_ok=True)
    base = f"http://127.0.0.1:{options.port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
            "MEDIA_ROOT": f"{tmp}/media",
            "BASE_URL": base,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DEBUG": "1",
        }
        run("migrate", "--noinput", "-v", "0", env=env)
        run("createcachetable", env=env)
        run("load_demo", env=env)
        run("shell", "-c", EXTRA_DATA, env=env)
        server = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "runserver",
                "--noreload",
                f"127.0.0.1:{options.port}",
            ],
            cwd=SITE,
            env=env,
        )
        try:
            wait_for(f"{base}/admin/login/")
            take(base, options.chromium, Path(tmp))
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
