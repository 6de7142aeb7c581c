"""Rate limit per token, bad input (a 4xx with a message, never a 500), query counts."""

import json

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_link

pytestmark = pytest.mark.django_db


@override_settings(WAGTAIL_SECURELINK_RATE_API_PER_TOKEN="3/m")
def test_rate_limit_per_token(token_for, superuser, contract):
    first, second = token_for(superuser, "one"), token_for(superuser, "two")
    statuses = [first.get("/links/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = first.get("/links/")
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert limited["Content-Type"] == "application/problem+json"
    assert "Too many requests" in limited.json()["detail"]
    assert second.get("/links/").status_code == 200  # another token keeps working


@override_settings(WAGTAIL_SECURELINK_RATE_API_AUTH_FAILURES_PER_NETWORK="3/m")
def test_failed_tokens_are_limited_per_network(client, token_for, superuser):
    """Bad bearer tokens count per client network: past the limit, that network is
    refused before any lookup (a right guess gets 429 too), other networks are not."""
    valid = token_for(superuser)
    mallory = {"REMOTE_ADDR": "198.51.100.7"}

    def bad(n, **extra):
        return client.get(
            "/api/v3/securelink/links/",
            HTTP_AUTHORIZATION=f"Bearer not-a-token-{n}",
            **{**mallory, **extra},
        )

    statuses = [bad(n).status_code for n in range(4)]
    assert statuses == [401, 401, 401, 429]
    limited = bad(5, REMOTE_ADDR="198.51.100.200")  # the same /24
    assert limited.status_code == 429
    assert limited["Content-Type"] == "application/problem+json"
    assert 0 < int(limited["Retry-After"]) <= 60
    seconds = limited["Retry-After"]
    assert limited.json()["detail"].startswith("Too many attempts. Please wait")
    assert f"{seconds} second" in limited.json()["detail"]
    # A valid token from the limited network gets the same answer as a wrong one...
    assert valid.get("/links/", **mallory).status_code == 429
    # ...and keeps working from any other network.
    assert valid.get("/links/", REMOTE_ADDR="203.0.113.9").status_code == 200
    # Valid calls are not failures: they never use up another network's allowance.
    other = {"REMOTE_ADDR": "192.0.2.1"}
    for _ in range(5):
        assert valid.get("/links/", **other).status_code == 200
    assert bad(9, **other).status_code == 401


@override_settings(WAGTAIL_SECURELINK_RATE_API_AUTH_FAILURES_PER_NETWORK="")
def test_failed_tokens_limit_can_be_switched_off(client):
    for n in range(40):
        response = client.get(
            "/api/v3/securelink/links/", HTTP_AUTHORIZATION=f"Bearer wrong-{n}"
        )
        assert response.status_code == 401


def test_rate_limit_store_down_fails_closed(admin_api, monkeypatch):
    from wagtail_securelink.ratelimit import rules as ratelimits

    def broken(*args, **kwargs):
        raise ratelimits.CacheUnavailable

    monkeypatch.setattr("wagtail_securelink.api.auth.check_limits", broken)
    response = admin_api.get("/links/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"


BAD_BODIES = [
    "not json",
    "[]",
    "null",
    json.dumps({"target_type": "page", "target_id": 1}),
    json.dumps({"target_type": "document", "target_id": 10**30}),
    json.dumps({"target_type": "document", "target_id": -1}),
    json.dumps({"target_type": "document", "target_id": "1; DROP"}),
    json.dumps({"target_type": "document", "target_id": 1, "recipients": "a@b.c"}),
    json.dumps({"target_type": "document", "target_id": 1, "recipients": ["\x00@x"]}),
    json.dumps(
        {
            "target_type": "document",
            "target_id": 1,
            "recipients": ["a@example.com"],
            "message": "a\x00b",
        }
    ),
    json.dumps({"target_type": "document", "target_id": 1, "message": "x" * 10000}),
    json.dumps({"target_type": "document", "target_id": 1, "expires_at": "tomorrow"}),
    json.dumps(
        {
            "target_type": "document",
            "target_id": 1,
            "expires_at": "9999-12-31T23:59:59+14:00",
        }
    ),
    json.dumps({"target_type": "document", "target_id": 1, "role": "owner"}),
    json.dumps(
        {"target_type": "document", "target_id": 1, "reverification_days": 10**20}
    ),
    json.dumps(
        {"target_type": "document", "target_id": 1, "recipients": ["😀@😀.example"]}
    ),
    json.dumps(
        {
            "target_type": "document",
            "target_id": 1,
            "recipients": ["a@example.com\r\nBcc: x@y.z"],
        }
    ),
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_bad_create_bodies_are_4xx(admin_api, client, contract, body):
    body = body.replace('"target_id": 1,', f'"target_id": {contract.pk},')
    response = client.post(
        "/api/v3/securelink/links/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {admin_api.secret}",
    )
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["detail"]


BAD_QUERIES = [
    {"status": "zombie"},
    {"creator": "x"},
    {"creator": str(10**30)},
    {"target_id": "-5"},
    {"recipient": "a\x00b"},
    {"recipient": "x" * 5000},
    {"limit": "0"},
    {"limit": "100000"},
    {"offset": "-1"},
    {"offset": str(10**30)},
]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_bad_list_queries_are_4xx(admin_api, query):
    response = admin_api.get("/links/", query)
    assert 400 <= response.status_code < 500, response.content


@pytest.mark.parametrize(
    "path",
    [
        f"/links/{10**30}/",
        "/links/0/",
        "/links/abc/",
        f"/links/1/recipients/{10**30}/",
        "/events/?link=0",
        "/events/?date_from=yesterday",
        "/events/?event=nope",
        "/events/?email=%00",
        f"/events/?offset={10**30}",
    ],
)
def test_bad_paths_are_4xx(admin_api, path):
    response = admin_api.get(path)
    assert 400 <= response.status_code < 500, response.content


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    recipients=st.lists(st.text(max_size=60), max_size=4),
    message=st.text(max_size=100),
    password=st.text(max_size=20),
    audience=st.sampled_from(["specific", "organization", "anyone", "x"]),
)
def test_fuzzed_create_never_500(
    admin_api, contract, recipients, message, password, audience
):
    response = admin_api.post(
        "/links/",
        {
            "target_type": "document",
            "target_id": contract.pk,
            "recipients": recipients,
            "message": message,
            "password": password,
            "audience": audience,
            "send_invitations": False,
        },
    )
    assert response.status_code in (201, 422), response.content


# Query counts: constant whatever the number of links -------------------------------------


def _count_queries(api, path):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(path, {"limit": 20})
    assert response.status_code == 200, response.content
    return len(queries)


@pytest.mark.parametrize("who", ["superuser", "editor"])
def test_list_query_counts_are_constant(token_for, superuser, editor, contract, who):
    # Time stands still: on a loaded machine, making 200 links can take past a minute,
    # and a new rate-limit window or the token's next last_used_at would add queries
    # that have nothing to do with the number of links.
    with time_machine.travel(timezone.now(), tick=False):
        api = token_for(superuser if who == "superuser" else editor)
        api.get("/links/")  # the token's last_used_at and the policy row, once
        counts = {}
        made = 0
        for total in (10, 200):
            for i in range(made, total):
                make_link(contract, [f"p{i}@example.com", f"q{i}@example.com"])
            made = total
            counts[total] = (
                _count_queries(api, "/links/"),
                _count_queries(api, "/events/"),
            )
    assert counts[10] == counts[200], counts
    print(f"query counts ({who}): links, events = {counts[200]}")
