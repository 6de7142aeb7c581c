"""docs/api.md's curl examples, run with the real ``curl`` against the example site.

The site runs under gunicorn (``conftest.py``); the demo data and the bearer token come
from ``load_demo`` and ``demo_api_token``, the commands ``make demo`` runs, and ``$API``
is the one ``demo_api_token`` prints. Each example is read and filled in by
``tests/api/docs_examples.py`` (as the test-client version in ``tests/api`` does) and
run as a ``curl`` process: real HTTP, a real token, real SMTP for the invitations.
"""

import csv
import io
import json
import re
import shutil
import subprocess

import pytest
from wagtail import VERSION as WAGTAIL_VERSION

from tests.api.docs_examples import examples, expected_json, fill, parse, remember
from tests.harness.mail import Mailbox
from tests.harness.server import COMMAND_TIMEOUT, Site

pytestmark = [
    pytest.mark.acceptance,
    pytest.mark.skipif(WAGTAIL_VERSION < (8, 0), reason="Wagtail 7.4 has no API v3"),
    pytest.mark.skipif(shutil.which("curl") is None, reason="no curl binary"),
]

# The docs' error example needs a policy that blocks this domain ("answers (when the
# policy blocks blocked.example)"): the one set-up step make demo does not do.
BLOCK_DOMAIN = """
from wagtail_securelink.models import SecureLinkPolicy
policy = SecureLinkPolicy.load()
policy.blocked_domains = "blocked.example"
policy.save()
"""
# What curl prints after the answer's body has gone to a file: status, content type.
WRITE_OUT = "%{http_code}\n%{content_type}"


def make_demo(site: Site) -> dict[str, str]:
    """``make demo``'s set-up steps; the variables ``demo_api_token`` prints."""
    site.manage("load_demo")
    printed = site.manage("demo_api_token").stdout
    variables = dict(re.findall(r"export (\w+)=(\S+)", printed))
    assert set(variables) == {"API", "TOKEN"}, printed
    return {f"${name}": value for name, value in variables.items()}


def run_curl(args: list[str], directory) -> tuple[int, str, bytes]:
    """Run one example; (status, content type, body)."""
    body_file = directory / "answer"
    if "-o" in args:  # the example names its own file (relative: in ``directory``)
        body_file = directory / args[args.index("-o") + 1]
        extra = []
    else:
        extra = ["-o", str(body_file)]
    body_file.unlink(missing_ok=True)
    command = [
        "curl",
        "-q",  # first: read no ~/.curlrc
        "--silent",
        "--show-error",
        "--max-time",
        "30",
        "--write-out",
        WRITE_OUT,
        *extra,
        *args[1:],
    ]
    result = subprocess.run(
        command,
        cwd=directory,
        env={"PATH": "/usr/bin:/bin", "HOME": str(directory)},  # no proxy variables
        capture_output=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, (command, result.stderr)
    status, content_type = result.stdout.decode().split("\n")
    return int(status), content_type, body_file.read_bytes()


def test_docs_curl_examples_against_the_example_site(
    site: Site, mailbox: Mailbox, tmp_path
):
    site.manage("shell", "-v", "0", "-c", BLOCK_DOMAIN)
    variables = make_demo(site)
    assert variables["$API"] == site.base_url + "/api/v3"
    variables["$DOC_ID"] = str(site.document_id)

    ran = []
    for example in examples():
        args = [fill(arg, variables) for arg in example.args]
        method, _headers, _data, url = parse(args)
        status, content_type, body = run_curl(args, tmp_path)
        where = f"{method} {url}: {body[:500]!r}\n{site.log()[-3000:]}"
        assert status == example.status, where
        if status == 204:
            assert body == b"", where
        elif content_type.startswith(("application/json", "application/problem+json")):
            answer = json.loads(body)
            if example.expected is not None:
                assert answer == expected_json(example.expected, status), where
            remember(variables, method, url, status, answer)
        elif content_type.startswith("text/csv"):
            rows = list(csv.reader(io.StringIO(body.decode())))
            assert rows[0][:3] == ["id", "created_at", "event"], where
            # The share and the revocations the examples made before this download.
            assert {row[2] for row in rows[1:]} == {"link_created", "link_revoked"}
        else:
            pytest.fail(f"unexpected content type {content_type!r}: {where}")
        ran.append((method, url.replace(site.base_url, ""), status))

    assert len(ran) == len(examples()) >= 10
    assert "$LINK_ID" in variables  # the share example worked, and the rest used it
    # The invitation the "add people" example asked for went out over real SMTP.
    invitation = mailbox.wait_for("bob@example.org")
    assert site.base_url + "/share/" in invitation.body
    # The demo token's secret is in no line the server wrote (access log included).
    assert variables["$TOKEN"] not in site.log()
