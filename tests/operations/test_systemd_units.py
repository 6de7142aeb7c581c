"""The systemd units shipped in deploy/systemd/ (docs/deployment.md and operations.md
carry them verbatim): the keys each needs, and ``systemd-analyze verify`` on them
where systemd is installed (``make test-systemd``; Debian's ``systemd`` package)."""

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
DOCS = (ROOT / "docs" / "deployment.md").read_text() + (
    ROOT / "docs" / "operations.md"
).read_text()


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read_string((UNITS / name).read_text())
    return parser


def test_every_unit_is_in_the_docs_verbatim():
    blocks = re.findall(r"```ini\n(.*?)```", DOCS, flags=re.S)
    for path in sorted(UNITS.iterdir()):
        assert path.read_text() in blocks, path.name


def test_the_web_unit_reloads_with_hup_and_stops_after_the_graceful_timeout():
    web = unit("securelink-web.service")["Service"]
    assert web["ExecStart"].startswith("/srv/site/venv/bin/gunicorn example_site.wsgi")
    assert web["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert web["EnvironmentFile"] == "/srv/site/env"
    assert web["Type"] == "notify"
    graceful = int(re.search(r"--graceful-timeout (\d+)", web["ExecStart"]).group(1))
    assert int(web["TimeoutStopSec"]) > graceful
    assert "--bind 127.0.0.1:8000" in web["ExecStart"]  # the shipped nginx's upstream
    assert "--forwarded-allow-ips 127.0.0.1" in web["ExecStart"]
    assert web["PrivateTmp"] == "yes"


def test_the_worker_unit_never_gives_up():
    worker = unit("securelink-worker@.service")
    assert worker["Unit"]["StartLimitIntervalSec"] == "0"
    service = worker["Service"]
    assert service["Restart"] == "always"
    assert int(service["RestartSec"]) >= 5
    assert service["ExecStart"].endswith("manage.py db_worker --queue-name default")
    assert service["EnvironmentFile"] == "/srv/site/env"


def test_the_jobs_read_the_environment_file():
    job = unit("securelink@.service")["Service"]
    assert job["Type"] == "oneshot" and job["EnvironmentFile"] == "/srv/site/env"
    timer = unit("securelink-purge.timer")["Timer"]
    assert timer["Unit"] == "securelink@securelink_purge.service"
    assert timer["Persistent"] == "true"


def test_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if os.environ.get("SYSTEMD_REQUIRED"):
            pytest.fail("systemd-analyze is missing: apt-get install systemd")
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    # verify wants every ExecStart binary to exist: the venv's, under a copy's paths.
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    venv_bin = Path(sys.executable).parent
    for name in ("python", "gunicorn"):
        (bin_dir / name).symlink_to(venv_bin / name)
    for path in UNITS.iterdir():
        text = path.read_text().replace("/srv/site/venv/", f"{tmp_path}/venv/")
        (tmp_path / path.name).write_text(text.replace("/srv/site", str(tmp_path)))
    names = [
        "securelink-web.service",
        "securelink-worker@1.service",
        "securelink@securelink_purge.service",
        "securelink-purge.timer",
    ]
    done = subprocess.run(
        [analyze, "verify", *(f"./{n}" for n in names)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # It exits 0 on unknown keys and bad values too: any line it prints is a failure.
    assert done.returncode == 0 and not (done.stdout + done.stderr).strip(), (
        done.stdout + done.stderr
    )
