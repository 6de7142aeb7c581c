"""GET /api/v3/securelink/events/csv/: the activity events as one streamed CSV file,
with the JSON list's filters, visibility, errors and rate limit."""

import csv
import io
import json

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from tests.factories import every_event_type, make_document, make_link, make_user
from wagtail_securelink.audit.events import record_event
from wagtail_securelink.models import AccessEvent, ShareLink

pytestmark = pytest.mark.django_db

HEADINGS = [
    "id",
    "created_at",
    "event",
    "link_id",
    "item",
    "email",
    "user",
    "ip_address",
    "detail",
]


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.content
    assert response.streaming, "the export must be a StreamingHttpResponse"
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()
    table = list(csv.reader(io.StringIO(text, newline="")))
    assert table[0] == HEADINGS
    return table[1:]


def json_as_csv_rows(api, query) -> list[list[str]]:
    """The JSON list's answer for the same filters, written as the CSV writes it."""
    items, count = [], None
    while count is None or len(items) < count:
        response = api.get("/events/", {**query, "offset": len(items)})
        assert response.status_code == 200, response.content
        page = response.json()
        count = page["count"]
        items += page["items"]
        assert page["items"] or not count

    def text(value):
        if value is None:
            return ""
        if isinstance(value, dict):
            return json.dumps(value, separators=(",", ":"))
        return str(value)

    return [[text(item[name]) for name in HEADINGS] for item in items]


@pytest.fixture
def activity(admin_api, contract, budget):
    """Links made through the API (their events name the token) and visitor events."""
    created = admin_api.post(
        "/links/",
        {
            "target_type": "document",
            "target_id": contract.pk,
            "recipients": ["alice@example.com"],
            "send_invitations": False,
        },
    )
    assert created.status_code == 201, created.content
    mine = ShareLink.objects.get(pk=created.json()["id"])
    theirs = make_link(budget, ["bob@example.org"])
    admin_api.post(f"/links/{theirs.pk}/revoke/")
    record_event("opened", link=mine)
    record_event("unlisted_address", link=mine, email="eve@example.org")
    record_event("rate_limited", email="")  # no link: superusers only
    return {"mine": mine, "theirs": theirs, "url": created.json()["url"]}


FILTERS = [
    {},
    {"event": ["link_created", "link_revoked"]},
    {"item": "budg"},
    {"email": "eve@"},
    {"date_from": "2000-01-01", "date_to": "2000-01-02"},
    {"date_from": "2000-01-01"},
]


@pytest.mark.parametrize("query", FILTERS)
def test_csv_rows_are_the_json_rows(admin_api, activity, query):
    rows = read_csv(admin_api.get("/events/csv/", query))
    assert rows == json_as_csv_rows(admin_api, query)


def test_csv_link_filter_and_download_name(admin_api, activity):
    theirs = activity["theirs"]
    response = admin_api.get("/events/csv/", {"link": theirs.pk})
    assert response["Content-Disposition"].startswith(
        'attachment; filename="securelink-activity-'
    )
    assert response["Content-Disposition"].endswith('.csv"')
    rows = read_csv(response)
    assert {row[3] for row in rows} == {str(theirs.pk)}
    assert rows == json_as_csv_rows(admin_api, {"link": theirs.pk})
    revoked = next(row for row in rows if row[2] == "link_revoked")
    assert json.loads(revoked[8])["api_token"] == admin_api.token.pk


def test_no_secret_in_the_csv(admin_api, activity):
    text = b"".join(admin_api.get("/events/csv/").streaming_content).decode()
    link_token = activity["url"].rstrip("/").rsplit("/", 1)[-1]
    assert len(link_token) > 10 and link_token not in text
    assert admin_api.secret not in text
    assert admin_api.token.name in text  # the token is named, by its name and id


HOSTILE = [
    "=1+1@x.example",
    "+1@x.example",
    "-1@x.example",
    "@SUM(A1)",
    "\tx@y",
    "\rx@y",
]


def test_formula_cells_are_escaped(admin_api, legal):
    document = make_document(
        '=HYPERLINK("http://evil.example","Click")', collection=legal
    )
    link = make_link(document, ["alice@example.com"])
    for email in [*HOSTILE, "plain@example.com"]:
        record_event("unlisted_address", link=link, email=email)
    rows = read_csv(admin_api.get("/events/csv/", {"event": "unlisted_address"}))
    assert sorted(row[5] for row in rows) == sorted(
        ["'" + email for email in HOSTILE] + ["plain@example.com"]
    )
    assert {row[4] for row in rows} == {"'" + document.title}
    # The JSON answer is not a spreadsheet: it gives the values as they are.
    items = admin_api.get("/events/", {"event": "unlisted_address"}).json()["items"]
    assert sorted(item["email"] for item in items) == sorted(
        [*HOSTILE, "plain@example.com"]
    )


def test_editors_see_only_their_visible_events(admin_api, editor_api, activity):
    mine, theirs = activity["mine"], activity["theirs"]
    everything = read_csv(admin_api.get("/events/csv/"))
    assert {row[3] for row in everything} == {str(mine.pk), str(theirs.pk), ""}
    assert len(everything) == AccessEvent.objects.count()
    seen = read_csv(editor_api.get("/events/csv/"))
    assert {row[3] for row in seen} == {str(mine.pk)}
    assert seen == json_as_csv_rows(editor_api, {})
    assert read_csv(editor_api.get("/events/csv/", {"link": theirs.pk})) == []


@pytest.mark.parametrize("path", ["/events/", "/events/csv/"])
def test_refusals_are_those_of_the_json_list(client, token_for, superuser, path):
    url = "/api/v3/securelink" + path
    assert client.get(url).status_code == 401
    assert client.get(url, HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    client.force_login(superuser)  # a session is not a token
    assert client.get(url).status_code == 401
    client.logout()
    reader = make_user("reader", perms=["wagtailadmin.access_admin"])
    refused = token_for(reader).get(path)
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    assert "activity report" in refused.json()["detail"]


BAD_FILTERS = [
    {"link": "0"},
    {"link": str(10**30)},
    {"link": "x"},
    {"date_from": "yesterday"},
    {"date_to": "2024-02-30"},
    {"event": "nope"},
    {"email": "a\x00b"},
    {"item": "x" * 5000},
]


@pytest.mark.parametrize("query", BAD_FILTERS)
def test_bad_filters_are_4xx_with_a_message(admin_api, query):
    response = admin_api.get("/events/csv/", query)
    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"]


@override_settings(WAGTAIL_SECURELINK_RATE_API_PER_TOKEN="3/m")
def test_rate_limit_per_token(token_for, superuser):
    first, second = token_for(superuser, "one"), token_for(superuser, "two")
    statuses = [first.get("/events/csv/").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    limited = first.get("/events/csv/")
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert first.get("/events/").status_code == 429  # one budget per token
    assert second.get("/events/csv/").status_code == 200


def _export_queries(api) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        rows = read_csv(api.get("/events/csv/"))  # the stream is read inside
    return len(queries), len(rows)


@pytest.mark.parametrize("who", ["superuser", "editor"])
def test_query_count_is_constant(token_for, superuser, editor, contract, who):
    # Time stands still, so no new rate-limit window or token use falls in between.
    with time_machine.travel(timezone.now(), tick=False):
        api = token_for(superuser if who == "superuser" else editor)
        link = make_link(contract, ["alice@example.com"])
        recipient = link.recipients.get()
        api.get("/events/csv/")  # the token's last_used_at and the policy row, once
        counts = {}
        made = 0
        for total in (10, 200):
            for _ in range(made, total):
                record_event("verified", link=link, recipient=recipient, user=superuser)
            made = total
            counts[total], rows = _export_queries(api)
            assert rows >= total
    assert counts[10] == counts[200], counts
    print(f"CSV export query count ({who}): {counts[200]}")


def test_every_event_type_with_and_without_a_link(admin_api, legal):
    link = make_link(make_document("Contract", collection=legal), ["a@example.com"])
    AccessEvent.objects.all().delete()
    expected = every_event_type(link)
    rows = read_csv(admin_api.get("/events/csv/"))
    assert len(rows) == expected
    items = [row[4] for row in rows]
    assert items.count("") == items.count("Contract") == expected // 2
    assert rows == json_as_csv_rows(admin_api, {})
