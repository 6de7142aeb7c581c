"""*Who has access now*: CSV and XLSX, streamed, constant in queries."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_document, make_link, make_user
from wagtail_securelink import services
from wagtail_securelink.core.tokens import new_link_key
from wagtail_securelink.models import Recipient, ShareLink

pytestmark = pytest.mark.django_db

EXPORT = "wagtail_securelink_admin:access_export"
ALICE = "alice@example.com"


def csv_rows(response):
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def links(contract, budget, legal):
    specific = make_link(contract, [ALICE, "=cmd@evil.example", "gone@example.com"])
    Recipient.objects.filter(email="gone@example.com").update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    anyone = make_link(make_document("Brochure", collection=legal), audience="anyone")
    organization = make_link(contract, audience="organization")
    revoked = make_link(contract, ["revoked@example.com"])
    services.revoke_link(revoked)
    foreign = make_link(budget, ["finance@example.com"])
    return {
        "specific": specific,
        "anyone": anyone,
        "org": organization,
        "foreign": foreign,
    }


def test_csv_lists_who_has_access_now(client, editor, links):
    client.force_login(editor)
    response = client.get(reverse(EXPORT), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "securelink-access-" in response["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0] == [
        "Shared item",
        "Type",
        "Link number",
        "Audience",
        "Role",
        "Person",
        "Access until",
        "Last opened",
        "Created by",
    ]
    people = {row[5] for row in rows[1:]}
    assert people == {
        ALICE,
        "'=cmd@evil.example",  # spreadsheet-safe
        "anyone with the link",
        "people signed in to this site",
    }
    # Ended person, revoked link, another collection's link: not there.
    body = "".join(",".join(r) for r in rows)
    assert "gone@example.com" not in body and "revoked@example.com" not in body
    assert "finance@example.com" not in body
    alice = next(r for r in rows if r[5] == ALICE)
    assert alice[:5] == [
        "Contract",
        "Document",
        str(links["specific"].pk),
        "Specific people",
        "View and download",
    ]
    assert alice[8] == "owner"
    # No link URL, ever: an "anyone" link's URL is the access itself.
    assert links["anyone"].token not in body


def test_people_scope_lists_people_only(client, superuser, links):
    client.force_login(superuser)
    rows = csv_rows(client.get(reverse(EXPORT), {"format": "csv", "scope": "people"}))
    assert {r[5] for r in rows[1:]} == {
        ALICE,
        "'=cmd@evil.example",
        "finance@example.com",
    }


def test_xlsx_has_the_same_rows(client, editor, links):
    from openpyxl import load_workbook

    client.force_login(editor)
    response = client.get(reverse(EXPORT), {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    values = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert values[0][5] == "Person"
    assert {r[5] for r in values[1:]} == {
        ALICE,
        "=cmd@evil.example",  # a text cell, not a formula
        "anyone with the link",
        "people signed in to this site",
    }
    cell = next(
        c
        for row in book.active.iter_rows()
        for c in row
        if c.value == "=cmd@evil.example"
    )
    assert cell.data_type == "s"


def test_bad_format_and_permission(client, legal, editor, links):
    client.force_login(editor)
    assert client.get(reverse(EXPORT), {"format": "pdf"}).status_code == 400
    reader = make_user("reader", perms=["wagtailadmin.access_admin"])
    client.force_login(reader)
    assert client.get(reverse(EXPORT), {"format": "csv"}).status_code == 403


def test_buttons_on_shared_links_and_people(client, editor):
    client.force_login(editor)
    for name in (
        "wagtail_securelink_sharelink:index",
        "wagtail_securelink_people:index",
    ):
        html = client.get(reverse(name)).content.decode()
        assert reverse(EXPORT) + "?format=csv" in html
        assert reverse(EXPORT) + "?format=xlsx" in html


def _many(document, total):
    links = ShareLink.objects.bulk_create(
        [
            ShareLink(
                key=new_link_key(),
                target_type="document",
                document=document,
                target_title=document.title,
            )
            for _ in range(10)
        ]
    )
    start = Recipient.objects.count()
    Recipient.objects.bulk_create(
        [
            Recipient(link=links[i % 10], email=f"p{i}@example.com")
            for i in range(start, total)
        ],
        batch_size=2000,
    )


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_query_count_is_constant_from_10_to_10000_recipients(
    client, editor, contract, kind
):
    client.force_login(editor)
    b"".join(client.get(reverse(EXPORT), {"format": kind}).streaming_content)
    counts = []
    for total in (10, 10_000):
        _many(contract, total)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(EXPORT), {"format": kind})
            body = b"".join(response.streaming_content)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    if kind == "csv":
        assert body.count(b"\n") == 10_001
    print(f"Access export ({kind}): {counts[0]} queries at 10 and 10,000 recipients")
