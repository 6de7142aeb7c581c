"""docs/api.md's curl examples, run in order against the API, so docs and code agree.

The examples are read by ``docs_examples.py`` (shared with the acceptance test that runs
them with the real ``curl`` against the example site under gunicorn); here each one is
sent with Django's test client with a real ``APIToken``.
"""

import pytest

from wagtail_securelink.models import SecureLinkPolicy

from .docs_examples import examples, expected_json, fill, parse, remember

pytestmark = pytest.mark.django_db


def test_docs_have_an_example_of_every_endpoint():
    from tests.api.test_openapi import ENDPOINTS

    covered = set()
    for example in examples():
        method, _headers, _data, url = parse(example.args)
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

    ran = 0
    for example in examples():
        method, headers, data, url = parse([fill(a, variables) for a in example.args])
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
        assert response.status_code == example.status, (method, url, response.content)
        if example.expected is not None:
            assert response.json() == expected_json(example.expected, example.status)
        if not response.streaming and response.content:
            remember(variables, method, url, response.status_code, response.json())
        ran += 1
    assert ran == len(examples()) >= 10


@pytest.mark.process
def test_make_demo_prints_a_working_token(tmp_path):
    """``make demo``'s steps on the example site: the printed token lists the demo
    links (load_demo shares two documents, one privately and one kept public, and a
    draft page's preview)."""
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
    # load_demo's three links: a document shared privately, one kept public (S16),
    # and the page preview
    assert "RESULT 200 3" in result.stdout, result.stdout
