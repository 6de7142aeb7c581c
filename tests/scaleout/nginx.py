"""nginx on 127.0.0.1 running the configuration that docs/deployment.md ships.

``deploy/nginx/securelink.conf`` is read as is; only its addresses, ports, paths and
certificate files are replaced (each replacement must match, so the file cannot drift
away from what is tested), and it is wrapped in the few main-context lines a private
nginx needs (pid, temporary paths, no daemon). No pytest here:

    python tests/scaleout/nginx.py check      # `nginx -t` on it (make test-nginx)
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "deploy" / "nginx" / "securelink.conf"
HOST = "127.0.0.1"

MAIN = """\
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log notice;
events {{ worker_connections 256; }}
http {{
    include {mime_types};
    default_type application/octet-stream;
    sendfile on;
    access_log {dir}/nginx-access.log;
    client_body_temp_path {dir}/nginx-body;
    proxy_temp_path {dir}/nginx-proxy;
    fastcgi_temp_path {dir}/nginx-fastcgi;
    uwsgi_temp_path {dir}/nginx-uwsgi;
    scgi_temp_path {dir}/nginx-scgi;
{site}
}}
"""


def mime_types() -> str:
    for path in ("/etc/nginx/mime.types", "/usr/local/nginx/conf/mime.types"):
        if os.path.exists(path):
            return path
    raise FileNotFoundError("nginx's mime.types")


def self_signed(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def render(
    directory: Path,
    *,
    http_port: int,
    https_port: int,
    app_ports: list[int],
    site_dir: Path,
    cert: Path,
    key: Path,
) -> str:
    """The shipped file with this machine's ports and paths, in a full nginx.conf."""
    site = SHIPPED.read_text()
    upstreams = "\n".join(f"    server {HOST}:{port};" for port in app_ports)
    for old, new in (
        ("    server 127.0.0.1:8000;", upstreams),
        ("listen 80;", f"listen {HOST}:{http_port};"),
        ("listen 443 ssl;", f"listen {HOST}:{https_port} ssl;"),
        ("/etc/letsencrypt/live/share.example.com/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/share.example.com/privkey.pem", str(key)),
        ("/srv/site/", f"{site_dir}/"),
        ("/var/log/nginx/", f"{directory}/"),
    ):
        if old not in site:
            raise ValueError(f"{SHIPPED.name} no longer contains {old!r}")
        site = site.replace(old, new)
    return MAIN.format(dir=directory, mime_types=mime_types(), site=site)


def write(directory: Path, **kwargs) -> Path:
    conf = directory / "nginx.conf"
    conf.write_text(render(directory, **kwargs))
    return conf


def test_config(conf: Path, directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [nginx(), "-t", "-c", str(conf), "-e", str(directory / "nginx-error.log")],
        capture_output=True,
        text=True,
        check=False,
    )


def nginx() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None
    )
    if not found:
        raise FileNotFoundError("nginx (apt-get install nginx-light)")
    return found


def main(argv: list[str]) -> int:
    if argv[1:] != ["check"]:
        print(__doc__, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="securelink-nginx-") as tmp:
        directory = Path(tmp)
        cert, key = self_signed(directory)
        conf = write(
            directory,
            http_port=8080,
            https_port=8443,
            app_ports=[8000],
            site_dir=directory / "site",
            cert=cert,
            key=key,
        )
        result = test_config(conf, directory)
        print(result.stdout + result.stderr, end="")
        print(f"nginx -t on {SHIPPED.relative_to(ROOT)}: exit {result.returncode}")
        return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
