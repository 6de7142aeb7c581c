"""X-Accel-Redirect through a real nginx on 127.0.0.1.

nginx runs ``deploy/nginx/securelink.conf`` (the file docs/deployment.md ships) in
front of the example site on PostgreSQL, with TLS, ``settings_production`` and
django-sendfile2's nginx backend. Every check runs in Django before the hand-off;
every S10 header the app sets reaches the visitor on the file nginx sends; nginx
answers Range requests itself; the package's private files (earlier versions, page
renders) are reachable by no URL.
"""

import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.harness.server import free_port, poll, stop_process
from tests.pdfs import make_pdf

from . import nginx
from .cluster import Cluster, Visitor, form_fields

pytestmark = pytest.mark.scaleout

# Headers of S10 that must be on every handed-off file, as Django set them.
S10_HEADERS = (
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "X-Robots-Tag",
    "Strict-Transport-Security",
    "X-Frame-Options",
    "Vary",
    "Content-Disposition",
    "Cache-Control",
)
DOMAIN = "nginx.example.com"
# A real PDF (pages to render), added beside the harness's document.
ADD_PDF = """
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model
from wagtail.models import Collection
from tests.pdfs import make_pdf

document = get_document_model()(title="Plan", collection=Collection.get_first_root_node())
document.file.save("plan.pdf", ContentFile(make_pdf(2, "Plan one")), save=False)
document._set_document_file_metadata()
document.save()
print(document.pk)
"""


@pytest.fixture(scope="module")
def proxied(database, redis, mailbox):
    """(cluster, https base, http base): nginx in front of one gunicorn."""
    try:
        nginx.nginx()
    except FileNotFoundError as missing:
        pytest.fail(f"{missing}: scripts/nginx.sh install")
    # nginx's workers (nobody, when started by root) read the media files: no 0700
    # directory on the way, as pytest's own temporary directories are.
    directory = Path(tempfile.mkdtemp(prefix="securelink-nginx-"))
    directory.chmod(0o755)
    http_port, https_port = free_port(), free_port()
    https = f"https://127.0.0.1:{https_port}"
    site = Cluster(
        directory=directory,
        database_url=database.url,
        redis_url=redis.url,
        smtp_port=mailbox.port,
        processes=1,
        settings_module="example_site.settings_production",
        extra_env={
            "BASE_URL": https,
            "SENDFILE_BACKEND": "django_sendfile.backends.nginx",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_HSTS_SECONDS": "3600",
            "SECURE_HSTS_PRELOAD": "false",
        },
    )
    site.base_url = https
    server = None
    trust = pytest.MonkeyPatch()
    try:
        site.set_up()
        site.start_web()
        site.start_worker()
        cert, key = nginx.self_signed(directory)
        trust.setenv("REQUESTS_CA_BUNDLE", str(cert))  # requests trusts our certificate
        conf = nginx.write(
            directory,
            http_port=http_port,
            https_port=https_port,
            app_ports=site.ports,
            site_dir=directory,
            cert=cert,
            key=key,
        )
        (directory / "static").mkdir(exist_ok=True)
        (directory / "static" / "probe.txt").write_text("static ok")
        checked = nginx.test_config(conf, directory)
        assert checked.returncode == 0, checked.stderr
        with open(directory / "nginx.log", "ab") as log:
            server = subprocess.Popen(
                [
                    nginx.nginx(),
                    "-c",
                    str(conf),
                    "-e",
                    str(directory / "nginx-error.log"),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def up():
            try:
                return requests.get(https + "/static/probe.txt", timeout=5).ok
            except requests.ConnectionError:
                assert server.poll() is None, (directory / "nginx.log").read_text()
                return False

        poll(up, 30, "nginx")
        yield site, https, f"http://127.0.0.1:{http_port}"
    finally:
        trust.undo()
        if server is not None:
            stop_process(server)
        site.close()
        subprocess.run(["rm", "-rf", str(directory)], check=False)


def verified_visitor(site: Cluster, mailbox, url: str, address: str) -> Visitor:
    visitor = Visitor(url)
    # As a browser does: Django's CSRF check wants a same-origin Referer over HTTPS.
    visitor.http.headers["Referer"] = url
    assert visitor.get().status_code == 200
    response = visitor.submit("/code/send/", email=address)
    assert response.status_code == 303, response.status_code
    visitor.get(urljoin(response.url, response.headers["Location"]))
    code = mailbox.wait_for_code(address)
    assert visitor.submit("/code/", code=code).status_code == 303
    return visitor


def from_django(
    site: Cluster, visitor: Visitor, url: str, **headers
) -> requests.Response:
    """The same request straight to gunicorn, as nginx forwards it: Django's own answer."""
    direct = site.bases[0] + urlsplit(url).path
    return requests.get(
        direct,
        # Secure cookies by hand: requests would keep them for HTTPS.
        headers={
            "Cookie": "; ".join(f"{c.name}={c.value}" for c in visitor.http.cookies),
            "X-Forwarded-Proto": "https",
            "Host": urlsplit(url).netloc,
            **headers,
        },
        allow_redirects=False,
        timeout=60,
        # Its Content-Length is the file's, and no byte follows: the file is nginx's.
        stream=True,
    )


def test_a_download_is_handed_to_nginx_with_every_security_header(proxied, mailbox):
    site, https, _http = proxied
    address = f"reader@{DOMAIN}"
    url = site.share("--to", address, "--no-email")
    visitor = verified_visitor(site, mailbox, url, address)
    for path, disposition in (("download/", "attachment"), ("view/", "inline")):
        django_answer = from_django(site, visitor, url + path)
        assert django_answer.status_code == 200
        assert django_answer.headers["X-Accel-Redirect"].startswith(
            "/protected-documents/"
        )
        django_answer.close()
        response = visitor.get(url + path)
        assert response.status_code == 200
        assert response.content == site.document_content
        assert "X-Accel-Redirect" not in response.headers
        assert response.headers["Content-Disposition"].startswith(disposition)
        for header in S10_HEADERS:
            assert response.headers.get(header) == django_answer.headers[header], header
        assert "sandbox" in response.headers["Content-Security-Policy"] or (
            disposition == "attachment"
        )
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "max-age=3600" in response.headers["Strict-Transport-Security"]
        assert "no-store" in response.headers["Cache-Control"]


def test_nginx_answers_ranges_itself(proxied, mailbox):
    site, https, _http = proxied
    address = f"ranges@{DOMAIN}"
    url = site.share("--to", address, "--no-email")
    visitor = verified_visitor(site, mailbox, url, address)
    ranged = {"Range": "bytes=1000-1999"}
    # Django hands off the whole file whatever the Range: the 206 is nginx's.
    assert from_django(site, visitor, url + "download/", **ranged).status_code == 200
    response = visitor.http.get(url + "download/", headers=ranged, timeout=60)
    assert response.status_code == 206
    assert response.content == site.document_content[1000:2000]
    size = len(site.document_content)
    assert response.headers["Content-Range"] == f"bytes 1000-1999/{size}"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    past = visitor.http.get(
        url + "download/", headers={"Range": f"bytes={size + 10}-"}, timeout=60
    )
    assert past.status_code == 416


def test_every_check_runs_in_django_before_the_hand_off(proxied, mailbox, database):
    site, https, _http = proxied
    reader, viewer = f"revoked@{DOMAIN}", f"viewer@{DOMAIN}"
    revoked = site.share("--to", reader, "--no-email")
    expired = site.share("--to", f"expired@{DOMAIN}", "--no-email")
    view_only = site.share("--to", viewer, "--role", "view", "--no-email")
    visitor = verified_visitor(site, mailbox, revoked, reader)
    late = verified_visitor(site, mailbox, expired, f"expired@{DOMAIN}")
    looker = verified_visitor(site, mailbox, view_only, viewer)
    assert visitor.get(revoked + "download/").status_code == 200
    assert late.get(expired + "download/").status_code == 200

    site.manage("securelink_revoke", "--", urlsplit(revoked).path.split("/")[2])
    token = urlsplit(expired).path.split("/")[2]
    database.query(
        "UPDATE wagtail_securelink_sharelink SET expires_at = now() - interval '1 minute' "
        "WHERE id = (SELECT link_id FROM wagtail_securelink_recipient r "
        "JOIN wagtail_securelink_sharelink l ON l.id = r.link_id "
        "WHERE r.email = %s) RETURNING id",
        (f"expired@{DOMAIN}",),
    )
    refusals = [
        (visitor, revoked + "download/", 404),
        (late, expired + "download/", 404),
        (looker, view_only + "download/", 403),
    ]
    for who, url, status in refusals:
        assert from_django(site, who, url).headers.get("X-Accel-Redirect") is None
        response = who.get(url)
        assert response.status_code == status, (url, response.status_code)
        assert site.document_content[:200] not in response.content
        assert "X-Accel-Redirect" not in response.headers
    assert token  # the expired link's token was the one made to expire
    # A view-only link never sends the original: not inline either, and
    # nothing is handed to nginx for it.
    inline = looker.get(view_only + "view/")
    assert inline.status_code == 403
    assert site.document_content[:200] not in inline.content
    assert "X-Accel-Redirect" not in inline.headers


def test_the_internal_location_and_the_documents_are_not_reachable(proxied, database):
    site, https, http = proxied
    name = database.scalar("SELECT file FROM wagtaildocs_document LIMIT 1")
    for path in (
        "/protected-documents/" + name.removeprefix("documents/"),
        "/media/" + name,
    ):
        response = requests.get(https + path, timeout=30)
        assert response.status_code == 404, path
        assert site.document_content[:200] not in response.content
    # Plain HTTP only redirects to HTTPS.
    redirect = requests.get(http + "/share/x/", allow_redirects=False, timeout=30)
    assert redirect.status_code == 301
    assert redirect.headers["Location"].startswith("https://")
    assert requests.get(https + "/static/probe.txt", timeout=30).text == "static ok"


def test_media_is_private_unless_the_configuration_names_it(proxied):
    # Earlier versions and the unwatermarked renders of view-only pages live under
    # MEDIA_ROOT too; only their random-looking names stood in the way before. Only
    # Wagtail's images are served from media.
    site, https, _http = proxied
    media = site.directory / "media"
    private = {
        "securelink_versions/a1b2c3d4e5f60718/contract.pdf": b"%PDF-1.4 earlier version",
        "securelink_renders/0123abcd/p1-z100.jpg": b"\xff\xd8unwatermarked render",
        "some_other_app/export.csv": b"name,email",
    }
    public = {"images/probe.png": b"\x89PNG public image"}
    for name, content in {**private, **public}.items():
        path = media / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        for folder in [path.parent, *path.parent.parents]:
            if folder == site.directory:
                break
            folder.chmod(0o755)
        path.chmod(0o644)
    for name, content in private.items():
        response = requests.get(f"{https}/media/{name}", timeout=30)
        assert response.status_code == 404, name
        assert content not in response.content
    for name, content in public.items():
        response = requests.get(f"{https}/media/{name}", timeout=30)
        assert response.status_code == 200, name
        assert response.content == content


def files_under(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }


def test_the_private_files_are_reachable_by_no_url(proxied, mailbox):
    """A real earlier version (replaced through an edit link) and real page renders (a
    view-only link) are on disk in the private folder beside MEDIA_ROOT; no path to
    them through nginx answers anything but 404, while images are still served."""
    site, https, _http = proxied
    made = site.manage("shell", "-v", "0", "-c", ADD_PDF)
    document_id = made.stdout.strip().splitlines()[-1]

    def share(address, role):
        shared = site.manage(
            "securelink_share", "--document", document_id, "--as", "sharer",
            "--to", address, "--role", role, "--no-email",
        )  # fmt: skip
        return shared.stdout.strip().splitlines()[-1]

    editor_address, viewer_address = f"editor@{DOMAIN}", f"looker@{DOMAIN}"
    edit_url = share(editor_address, "edit")
    editor = verified_visitor(site, mailbox, edit_url, editor_address)
    action, fields = form_fields(editor.get(edit_url).text, "/replace/")
    fields.pop("file", None)
    second = make_pdf(2, "Plan two")
    replaced = editor.http.post(
        urljoin(edit_url, action),
        data=fields,
        files={"file": ("plan.pdf", second, "application/pdf")},
        allow_redirects=False,
        timeout=60,
    )
    assert replaced.status_code == 303, replaced.status_code
    view_url = share(viewer_address, "view")
    looker = verified_visitor(site, mailbox, view_url, viewer_address)
    assert "Plan two 1" in looker.get(view_url).text
    page = looker.get(view_url + "page/2/")
    assert page.status_code == 200 and page.content.startswith(b"\xff\xd8")

    private_root = site.directory / "securelink_private"
    private = files_under(private_root)
    versions = {
        n: c for n, c in private.items() if n.startswith("securelink_versions/")
    }
    renders = [n for n in private if n.startswith("securelink_renders/")]
    assert list(versions.values()) == [make_pdf(2, "Plan one")]
    assert {n.rsplit("/", 1)[-1] for n in renders} >= {"z100-p1.jpg", "z100-p2.jpg"}
    # Nothing the package wrote is under MEDIA_ROOT (where the test before planted
    # files of the old names).
    media = files_under(site.directory / "media")
    assert not set(private.values()) & set(media.values())

    # Readable by nginx's workers, so that a 404 is the configuration's, not a
    # permission's.
    for folder in [private_root, *private_root.rglob("*")]:
        folder.chmod(0o755 if folder.is_dir() else 0o644)
    image = site.directory / "media" / "images" / "public.png"
    image.parent.mkdir(parents=True, exist_ok=True)
    image.parent.chmod(0o755)
    image.write_bytes(b"\x89PNG a public image")
    image.chmod(0o644)

    up = "%2e%2e"
    for name, content in private.items():
        for path in (
            f"/media/{name}",  # where they were before
            f"/securelink_private/{name}",
            f"/media/{up}/securelink_private/{name}",
            f"/media/images/{up}/{up}/securelink_private/{name}",
            f"/static/{up}/securelink_private/{name}",
            f"/protected-documents/{up}/securelink_private/{name}",
            f"/protected-documents/{up}/{name}",
        ):
            response = requests.get(https + path, timeout=30)
            assert response.status_code == 404, (path, response.status_code)
            assert content[:64] not in response.content, path
    served = requests.get(https + "/media/images/public.png", timeout=30)
    assert served.status_code == 200
    assert served.content == b"\x89PNG a public image"
