"""The example site for the browser tests and the visitor screenshots.

The same servers as ``tests/acceptance`` (``tests/harness``: gunicorn on 127.0.0.1 with
a throw-away SQLite database and MEDIA_ROOT, aiosmtpd keeping mail in memory), with two
differences: ``DEBUG=1``, so that Django serves the visitor stylesheet and the Wagtail
admin's own CSS and JavaScript (the admin is driven, and axe measures colours and
focus), and the demo data of ``manage.py load_demo`` plus a subcollection, a site name
and a password-protected link.

The site is called ``http://localhost:PORT`` (BASE_URL, hence every link and the
passkeys' RP id ``localhost``) while gunicorn listens on 127.0.0.1 only: WebAuthn
takes a domain for its RP id, never an IP address, and Chromium counts
``http://localhost`` as a secure context, as WebAuthn requires.
"""

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness.server import Site

HERE = Path(__file__).resolve().parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root, in a sandbox with no network but loopback: no sandbox of Chromium's own,
# and nothing that phones home (each attempt would be refused, slowly).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_JS = HERE / "node_modules" / "axe-core" / "axe.min.js"
SITE_NAME = "Northwind Legal"
PASSWORD = "correct horse battery"

# After migrate: the demo data (admin/changeme, two collections, four documents, a page
# with a draft shared for review), a
# subcollection with one more document, the default site's name, and a password link.
SET_UP_DEMO = """
import json, os
from django.core.files.base import ContentFile
from django.core.management import call_command
from wagtail.documents import get_document_model
from wagtail.models import Collection, Page, Site
from wagtail_securelink import services
from demo import samples

call_command("load_demo", verbosity=0, stdout=open(os.devnull, "w"))
Site.objects.filter(is_default_site=True).update(site_name=os.environ["SITE_NAME"])
Document = get_document_model()
contracts = Collection.objects.get(name="Contracts")
signed = contracts.get_children().filter(name="Signed").first() or contracts.add_child(name="Signed")
countersigned = Document(title="Countersigned agreement", collection=signed)
countersigned.file.save(
    "countersigned-agreement.pdf",
    ContentFile(samples.pdf_bytes("Countersigned agreement")),
    save=False,
)
countersigned._set_document_file_metadata()
countersigned.save()
from django.contrib.auth import get_user_model
admin = get_user_model().objects.get(username="admin")
press = Document.objects.get(title="Press release")
password_link = services.create_link(
    target=press, created_by=admin, audience="anyone", role="download",
    password=os.environ["LINK_PASSWORD"], send_invitations=False,
)
print(json.dumps({
    "msa": Document.objects.get(title="Master services agreement").pk,
    "contracts": contracts.pk,
    "signed": signed.pk,
    "password_url": services.link_url(password_link),
    "page": Page.objects.get(slug="spring-launch").pk,
}))
"""


# Links made straight through services.create_link, without invitations and without
# a sharer (so no first-open notice either): LINKS is JSON [[document title,
# [addresses]], ...]; prints the URLs in the same order.
SHARE = """
import json, os
from wagtail.documents import get_document_model
from wagtail_securelink import services

Document = get_document_model()
urls = []
for title, recipients in json.loads(os.environ["LINKS"]):
    link = services.create_link(
        target=Document.objects.get(title=title),
        recipients=recipients,
        audience="specific",
        send_invitations=False,
    )
    urls.append(services.link_url(link))
print(json.dumps(urls))
"""


@dataclass
class Demo:
    site: Site
    ids: dict = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.site.base_url

    def share(self, *links: tuple[str, list[str]]) -> list[str]:
        """Specific-people links to demo documents, by title: their URLs."""
        result = self.site.manage(
            "shell", "-v", "0", "-c", SHARE, extra_env={"LINKS": json.dumps(links)}
        )
        return json.loads(result.stdout.strip().splitlines()[-1])


def start_demo(
    directory: Path, mailbox_port: int, workers: int = 2, **env: str
) -> Demo:
    """Start gunicorn on a fresh demo database; the caller stops it with
    ``demo.site.close()``. ``env`` adds to the site's environment."""
    site = Site(
        directory, mailbox_port, public_host="localhost", **{"DEBUG": "1", **env}
    )
    site.start_gunicorn(workers=workers, access_log=True)
    try:
        site.manage("migrate", "--noinput", "-v", "0")
        result = site.manage(
            "shell",
            "-v",
            "0",
            "-c",
            SET_UP_DEMO,
            extra_env={"SITE_NAME": SITE_NAME, "LINK_PASSWORD": PASSWORD},
        )
        ids = json.loads(result.stdout.strip().splitlines()[-1])
        site.wait_until_serving()
    except BaseException:
        site.close()
        raise
    return Demo(site=site, ids=ids)
