"""docs/api.md's curl examples, run in order against the API, so docs and code agree.

Each ```bash block holding a ``curl`` command ends with ``# → <status>``; the command
is split as a shell would (``shlex``), its ``$VARIABLES`` filled in, and sent with
Django's test client with a real ``APIToken``.
"""

import json
import re
import shlex
from http import HTTPStatus
from pathlib import Path

import pytest

from wagtail_securelink.models import SecureLinkPolicy

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)


def examples():
    """(curl arguments, expected status, the JSON block that follows it, if any)."""
    blocks = BLOCK.findall(DOCS.read_text())
    found = []
    for index, (language, text) in enumerate(blocks):
        if language != "bash" or not text.lstrip().startswith("curl"):
            continue
        status = int(re.search(r"# → (\d{3})", text).group(1))
        command = re.sub(r"#.*", "", text).replace("\\\n", " ")
        following = blocks[index + 1] if index + 1 < len(blocks) else ("", "")
        expected = json.loads(following[1]) if following[0] == "json" else None
        found.append((shlex.split(command), status, expected))
    return found


def parse(args):
    method, headers, data, url = "GET", {}, None, None
    args = iter(args[1:])
    for arg in args:
        if arg == "-X":
            method = next(args)
        elif arg == "-H":
            name, value = next(args).split(":", 1)
            headers[name.strip()] = value.strip()
        elif arg == "-d":
            data = next(args)
        elif arg == "-o":
            next(args)  # the file curl writes the answer to
        else:
            url = arg
    return method, headers, data, url


def test_docs_have_an_example_of_every_endpoint():
    from tests.api.test_openapi import ENDPOINTS

    covered = set()
    for args, _status, _json in examples():
        method, _headers, _data, url = parse(args)
        path = url.replace("$API", "/api/v3").split("?")[0]
        path = path.replace("$LINK_ID", "{link_id}").replace(
            "$RECIPIENT_ID", "{recipient_id}"
        )
        covered.add((method.lower(), path))
    assert covered == set(ENDPOINTS)


def test_curl_examples_run(client, superuser, contract):
    from wagtail.models import APIToken

    policy = SecureLinkPolicy.load()
    policy.blocked_domains = "blocked.example"
    policy.save()
    _token, secret = APIToken.create_token(user=superuser, name="docs")
    variables = {"$API": "/api/v3", "$TOKEN": secret, "$DOC_ID": str(contract.pk)}

    def fill(text):
        for name in sorted(variables, key=len, reverse=True):
            text = text.replace(name, variables[name])
        return text

    ran = 0
    for args, status, expected in examples():
        method, headers, data, url = parse([fill(arg) for arg in args])
        extra = {
            "HTTP_" + name.upper().replace("-", "_"): value
            for name, value in headers.items()
            if name.lower() != "content-type"
        }
        response = getattr(client, method.lower())(
            url,
            data=data if data is not None else None,
            content_type=headers.get("Content-Type", "application/octet-stream"),
            **extra,
        )
        assert response.status_code == status, (method, url, response.content)
        if expected is not None:
            if "title" in expected:
                # The reason phrase is Python's (422 is "Unprocessable Entity" before
                # Python 3.13, "Unprocessable Content" since): the docs show one of them.
                expected = {**expected, "title": HTTPStatus(status).phrase}
            assert response.json() == expected
        if method == "POST" and url.endswith("/securelink/links/") and status == 201:
            created = response.json()
            variables["$LINK_ID"] = str(created["id"])
            variables["$RECIPIENT_ID"] = str(created["recipients"][0]["id"])
        ran += 1
    assert ran == len(examples()) >= 10


def test_make_demo_prints_a_working_token(tmp_path):
    """``make demo``'s steps on the example site: the printed token lists the demo
    links (load_demo shares two documents: one privately, one kept public)."""
    from tests.test_project import EXAMPLE_SITE, assert_ok, run

    script = """
import io, json, re
from django.core.management import call_command
from django.test import Client
for command in ("migrate", "load_demo"):
    call_command(command, verbosity=0, stdout=io.StringIO())
out = io.StringIO()
call_command("demo_api_token", stdout=out)
token = re.search(r"export TOKEN=(\\S+)", out.getvalue()).group(1)
r = Client().get("/api/v3/securelink/links/", HTTP_AUTHORIZATION="Bearer " + token)
print("RESULT", r.status_code, json.loads(r.content)["count"])
"""
    result = run(
        ["manage.py", "shell", "-c", script],
        cwd=EXAMPLE_SITE,
        settings_module="example_site.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        ALLOWED_HOSTS="testserver",
    )
    assert_ok(result)
    # load_demo's two links: one shared privately, one kept public (S16)
    assert "RESULT 200 2" in result.stdout, result.stdout
