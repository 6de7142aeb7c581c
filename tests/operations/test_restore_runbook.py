"""The restore runbook's re-revoke lines (docs/operations.md, "Backups and restores")
run in ``sh`` on the real output of ``securelink_list --status revoked``."""

import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.factories import make_document, make_link
from wagtail_securelink import services

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
# Records the arguments it is called with, in place of `manage.py`.
STUB = "import sys; open(sys.argv[1], 'a').write(' '.join(sys.argv[2:]) + '\\n')"


def runbook() -> str:
    docs = (ROOT / "docs" / "operations.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", docs, flags=re.S)
    (block,) = [b for b in blocks if "securelink_revoke $ids" in b]
    return block


def run_runbook(tmp_path, listing: str) -> tuple[int, str]:
    listed = tmp_path / "revoked.txt"
    listed.write_text(listing)
    calls = tmp_path / "calls.txt"
    calls.write_text("")
    script = re.sub(r"^list=\S+", f"list={listed}", runbook(), flags=re.M)
    run = f'{sys.executable} -c "{STUB}" {calls}'
    done = subprocess.run(
        ["sh", "-c", script], env={"RUN": run, "PATH": "/usr/bin:/bin"}, check=False
    )
    return done.returncode, calls.read_text()


def listing() -> str:
    out = StringIO()
    call_command("securelink_list", "--status", "revoked", stdout=out)
    return out.getvalue()


def test_an_empty_list_revokes_nothing_and_succeeds(tmp_path, root_collection):
    make_link(make_document(), ["alice@example.com"])
    assert listing().strip() == "No links."
    code, calls = run_runbook(tmp_path, listing())
    assert code == 0
    assert calls == ""


def test_the_revoked_links_are_revoked_again_in_one_call(tmp_path, root_collection):
    links = [make_link(make_document(), ["alice@example.com"]) for _ in range(3)]
    for link in links[:2]:
        services.revoke_link(link)
    code, calls = run_runbook(tmp_path, listing())
    assert code == 0
    (call,) = calls.splitlines()  # one command, every id on it
    command, *ids = call.split()
    assert command == "securelink_revoke"
    assert sorted(ids) == sorted(str(link.pk) for link in links[:2])
