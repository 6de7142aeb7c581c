"""nginx's access log carries no link token (deploy/nginx/securelink.conf).

The shipped file runs in a private nginx on 127.0.0.1 in front of Django's live server
(tests/scaleout/nginx.py changes only ports, paths and the certificate). A visitor
verifies and downloads through it; then requests with the token percent-encoded, in
another case, behind doubled slashes, in a query string and in a Referer. nginx's log
of that server is then grepped for the token in every form it was sent: none. The
http-level access_log of the wrapper (Debian's own /var/log/nginx/access.log) stays
empty: the server's access_log replaces it, one line per request.
"""

import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote, urljoin

import pytest
import requests

from tests.factories import make_document, make_link
from tests.harness.server import free_port, poll, stop_process
from tests.helpers import last_code
from tests.scaleout import nginx
from tests.scaleout.cluster import Visitor
from wagtail_securelink.tasks import background as delivery

pytestmark = [pytest.mark.process, pytest.mark.django_db(transaction=True)]

ADDRESS = "reader@example.com"


def encoded(text: str) -> str:
    """Every character percent-encoded: what a crafted (or odd) client may send."""
    return "".join(f"%{byte:02X}" for byte in text.encode())


@pytest.fixture
def proxy(live_server, settings, monkeypatch):
    try:
        nginx.nginx()
    except FileNotFoundError as missing:
        pytest.fail(f"{missing}: scripts/nginx.sh install")
    settings.ALLOWED_HOSTS = ["*"]
    directory = Path(tempfile.mkdtemp(prefix="securelink-nginx-log-"))
    directory.chmod(0o755)
    # Files handed to nginx (X-Accel-Redirect), as the example site does with
    # SENDFILE_BACKEND set: nginx's internal location is <site>/media/documents/.
    (directory / "media" / "documents").mkdir(parents=True)
    for folder in (directory / "media", directory / "media" / "documents"):
        folder.chmod(0o755)
    settings.MEDIA_ROOT = str(directory / "media")
    settings.SENDFILE_BACKEND = "django_sendfile.backends.nginx"
    settings.SENDFILE_ROOT = str(directory / "media" / "documents")
    settings.SENDFILE_URL = "/protected-documents"
    https_port = free_port()
    cert, key = nginx.self_signed(directory)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))  # as the scale-out tests do
    conf = nginx.write(
        directory,
        http_port=free_port(),
        https_port=https_port,
        app_ports=[int(live_server.url.rsplit(":", 1)[1])],
        site_dir=directory,
        cert=cert,
        key=key,
    )
    checked = nginx.test_config(conf, directory)
    assert checked.returncode == 0, checked.stderr
    (directory / "static").mkdir()
    (directory / "static" / "probe.txt").write_text("ok")
    server = subprocess.Popen(
        [nginx.nginx(), "-c", str(conf), "-e", str(directory / "nginx-error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"https://127.0.0.1:{https_port}"
    try:

        def up():
            try:
                return requests.get(base + "/static/probe.txt", timeout=5).ok
            except requests.ConnectionError:
                return False

        poll(up, 30, "nginx")
        yield base, live_server.url, directory
    finally:
        stop_process(server)
        subprocess.run(["rm", "-rf", str(directory)], check=False)


def verified_visitor(url: str) -> Visitor:
    visitor = Visitor(url)
    assert visitor.get().status_code == 200
    sent = visitor.submit("/code/send/", email=ADDRESS)
    assert sent.status_code == 303, sent.status_code
    delivery.flush()
    visitor.get(urljoin(url, sent.headers["Location"]))
    assert visitor.submit("/code/", code=last_code(ADDRESS)).status_code == 303
    return visitor


def test_no_token_reaches_nginx_access_log(proxy, root_collection):
    base, _app, directory = proxy
    link = make_link(make_document("Contract"), [ADDRESS])
    token = link.token
    url = f"{base}/share/{token}/"
    visitor = verified_visitor(url)
    download = visitor.get(url + "download/")
    assert download.status_code == 200

    odd = [
        f"{base}/share/{encoded(token)}/",  # all of the token percent-encoded
        f"{base}/share/{token[:10]}{encoded(token[10:])}/download/",
        f"{base}/{encoded('share')}/{quote(token, safe='')}/code/",
        f"{base}//share//{token}/",
        f"{base}/SHARE/{token}/",
        f"{base}/elsewhere/{token}/",
        f"{base}/share/{token}/?next=/share/{token}/",
        f"{base}/static/probe.txt?t={token}",
    ]
    for address in odd:
        visitor.http.get(address, allow_redirects=False, headers={"Referer": url})
    assert visitor.http.get(f"{base}/share/{encoded(token)}/").status_code == 200

    log = (directory / "securelink.access.log").read_text()
    lines = log.splitlines()
    assert len(lines) >= 5 + len(odd) + 1
    assert '"GET /protected-documents/' in log  # the hand-off: the internal path
    assert '"GET /share/[redacted]/code/ HTTP/1.1"' in log
    assert "/share/[redacted]/?[query]" in log
    assert f'"{base}"' in log  # the referer as its origin
    lowered = log.lower()
    for form in (token, encoded(token), quote(token, safe=""), token[:22], token[23:]):
        assert form.lower() not in lowered, form
    # The wrapper's http-level log (Debian's access.log) got nothing of this server.
    wrapper = directory / "nginx-access.log"
    assert not wrapper.exists() or wrapper.read_text() == ""


def test_the_hand_off_keeps_x_frame_options_and_vary(proxy, root_collection):
    """On an X-Accel-Redirect nginx drops the app's X-Frame-Options and Vary: the
    internal location adds them again with the app's values."""
    base, app, _directory = proxy
    document = make_document("Contract")
    link = make_link(document, [ADDRESS])
    url = f"{base}/share/{link.token}/"
    visitor = verified_visitor(url)
    for path in ("download/", "view/"):
        django_answer = requests.get(
            f"{app}/share/{link.token}/{path}",
            headers={
                "Cookie": "; ".join(f"{c.name}={c.value}" for c in visitor.http.cookies)
            },
            allow_redirects=False,
            timeout=30,
            # Its Content-Length is the file's, and no byte follows: the file is nginx's.
            stream=True,
        )
        django_answer.close()
        assert django_answer.status_code == 200
        assert django_answer.headers["X-Accel-Redirect"].startswith(
            "/protected-documents/"
        )
        response = visitor.get(url + path)
        assert response.status_code == 200
        with document.file.open("rb") as stored:
            assert response.content == stored.read()
        assert "X-Accel-Redirect" not in response.headers
        for header in ("X-Frame-Options", "Vary"):
            assert response.headers.get(header) == django_answer.headers[header], header
        assert "Cookie" in response.headers["Vary"]
