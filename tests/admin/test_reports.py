"""The Secure link activity report and Wagtail's site history (SPEC §5, S15)."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import every_event_type, make_document, make_link, make_user
from wagtail_securelink import services
from wagtail_securelink.audit.events import record_event
from wagtail_securelink.models import AccessEvent, SecureLinkPolicy

pytestmark = pytest.mark.django_db

ADMIN = "wagtailadmin.access_admin"
ADD_LINK = "wagtail_securelink.add_sharelink"
REPORT = "wagtail_securelink_admin:activity"
RESULTS = "wagtail_securelink_admin:activity_results"


@pytest.fixture
def events(legal, finance):
    # Only the events below: sharing leaves the items public (no privacy events).
    policy = SecureLinkPolicy.load()
    policy.private_by_default = False
    policy.save()
    contract = make_document("Contract", collection=legal)
    budget = make_document("Budget", collection=finance)
    mine = make_link(contract, ["alice@example.com"])
    theirs = make_link(budget, ["bob@example.com"])
    alice = mine.recipients.get()
    record_event("opened", link=mine)
    record_event("verified", link=mine, recipient=alice)
    record_event("unlisted_address", link=mine, email="eve@example.org")
    old = record_event("downloaded", link=theirs, recipient=theirs.recipients.get())
    AccessEvent.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=40)
    )
    return {"mine": mine, "theirs": theirs}


def rows(response):
    return list(response.context["object_list"])


def test_report_lists_events_for_superuser(client, superuser, events):
    client.force_login(superuser)
    response = client.get(reverse(REPORT))
    assert response.status_code == 200
    assert len(rows(response)) == AccessEvent.objects.count() == 6
    html = response.content.decode()
    assert "Unlisted address tried the link" in html
    assert "Download CSV" in html and "Download XLSX" in html


def test_editor_sees_only_events_of_links_they_may_manage(client, editor, events):
    client.force_login(editor)
    response = client.get(reverse(REPORT))
    assert {event.link_id for event in rows(response)} == {events["mine"].pk}


def test_report_is_refused_without_securelink_permission(client, legal, events):
    plain = make_user(
        "plain", perms=[ADMIN], collection_perms=[(legal, "change_document")]
    )
    client.force_login(plain)
    assert client.get(reverse(REPORT)).status_code == 403
    assert client.get(reverse(REPORT), {"export": "csv"}).status_code == 403


def test_filters(client, superuser, events):
    client.force_login(superuser)

    def only(**params):
        return rows(client.get(reverse(RESULTS), params))

    assert {e.event for e in only(event=["verified", "opened"])} == {
        "verified",
        "opened",
    }
    assert [e.email for e in only(email="eve@")] == ["eve@example.org"]
    assert {e.link_id for e in only(link=events["theirs"].pk)} == {events["theirs"].pk}
    assert {e.link_id for e in only(item="budg")} == {events["theirs"].pk}
    since = (timezone.now() - datetime.timedelta(days=7)).date().isoformat()
    recent = only(created_at_from=since)
    assert "downloaded" not in {e.event for e in recent}
    assert len(recent) == 5


def test_csv_export_holds_the_filtered_rows(client, superuser, events):
    client.force_login(superuser)
    response = client.get(
        reverse(REPORT), {"export": "csv", "event": ["unlisted_address", "verified"]}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:3] == ["Date", "Event", "Link number"]
    body = table[1:]
    assert sorted(row[1] for row in body) == [
        "Unlisted address tried the link",
        "Verified",
    ]
    assert {row[4] for row in body} == {"eve@example.org", "alice@example.com"}
    assert all(row[3] == "Contract" for row in body)


def test_csv_export_escapes_formula_cells(client, superuser, events):
    """A visitor chooses the address typed at a gate and the user agent: a cell that
    a spreadsheet would run as a formula is exported as text (spreadsheets.safe_cell)."""
    hostile = ["=1+1@x.example", "+1@x.example", "-1@x.example", "@SUM(A1)", "\tx@y"]
    for email in hostile:
        record_event("unlisted_address", link=events["mine"], email=email)
    client.force_login(superuser)
    response = client.get(
        reverse(REPORT), {"export": "csv", "event": "unlisted_address"}
    )
    text = b"".join(response.streaming_content).decode()
    emails = {row[4] for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert emails == {"'" + email for email in hostile} | {"eve@example.org"}


def test_xlsx_export_holds_the_filtered_rows(client, superuser, events):
    client.force_login(superuser)
    response = client.get(
        reverse(REPORT), {"export": "xlsx", "link": events["theirs"].pk}
    )
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:2] == ("Date", "Event")
    events_found = sorted(row[1] for row in values[1:])
    assert events_found == ["Downloaded", "Link created"]
    assert all(row[2] == events["theirs"].pk for row in values[1:])
    assert isinstance(values[1][0], datetime.datetime)


def test_report_query_count_is_constant(client, superuser, events):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(superuser)
    client.get(reverse(REPORT))
    with CaptureQueriesContext(connection) as before:
        client.get(reverse(REPORT))
    for _ in range(40):
        record_event("viewed", link=events["mine"], user=superuser)
    with CaptureQueriesContext(connection) as after:
        client.get(reverse(REPORT))
    assert len(after) == len(before)


def test_menu_item_in_reports(client, editor):
    client.force_login(editor)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse(REPORT) in html


# Wagtail's site history --------------------------------------------------------------


def test_create_and_revoke_appear_in_site_history(client, superuser, legal):
    document = make_document("Contract", collection=legal)
    link = make_link(document, ["alice@example.com"], created_by=superuser)
    services.add_recipients(
        link, ["bob@example.com"], added_by=superuser, send_invitations=False
    )
    services.revoke_link(link, user=superuser)
    client.force_login(superuser)
    response = client.get(reverse("wagtailadmin_reports:site_history"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Shared link created" in html
    assert "Shared link revoked" in html
    assert "Recipients added to shared link" in html
    # And the filter offers our actions with their labels.
    response = client.get(
        reverse("wagtailadmin_reports:site_history"),
        {"action": "wagtail_securelink.revoke"},
    )
    assert "Shared link revoked" in response.content.decode()
    assert "Shared link created" not in response.content.decode().split("<tbody")[-1]


def test_expiry_change_appears_in_site_history(client, superuser, legal):
    from wagtail_securelink.sharing import links

    link = make_link(make_document(collection=legal), ["a@example.com"])
    links.change_expiry(
        link, timezone.now() + datetime.timedelta(days=3), user=superuser
    )
    client.force_login(superuser)
    html = client.get(reverse("wagtailadmin_reports:site_history")).content.decode()
    assert "Shared link changed" in html


def test_a_code_request_within_the_cooldown_says_so_to_the_editor_only(
    client, superuser
):
    """S7: the visitor's page is the same; the editor's report says no code went out."""
    from django.core import mail

    from tests.helpers import enter_code_url, send_code_url

    link = make_link(make_document("Report"), ["alice@example.com"])
    first = client.post(send_code_url(link), {"email": "alice@example.com"})
    second = client.post(send_code_url(link), {"email": "alice@example.com"})
    assert len(mail.outbox) == 1  # the second falls within the cooldown
    assert first.status_code == second.status_code
    assert first["Location"] == second["Location"]
    assert b"cooldown" not in client.get(enter_code_url(link)).content
    requested = AccessEvent.objects.filter(event="code_requested").order_by("pk")
    assert [e.detail.get("not_sent") for e in requested] == [None, "cooldown"]

    client.force_login(superuser)
    page = client.get(reverse("wagtail_securelink_admin:activity")).content.decode()
    assert "Code requested (within the resend cooldown: no new code sent)" in page
    assert page.count("Code requested (") == 1  # the first one sent its code


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_every_event_type_exports_with_and_without_a_link(
    client, superuser, legal, export_format
):
    # The admin's export once died mid-stream (CSV) or answered 500 (XLSX) on the first
    # event without a link: Make private/public is one, and it is in every site's log.
    link = make_link(make_document("Contract", collection=legal), ["a@example.com"])
    AccessEvent.objects.all().delete()
    expected = every_event_type(link)
    client.force_login(superuser)
    response = client.get(reverse(REPORT), {"export": export_format})
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    if export_format == "csv":
        table = list(csv.reader(io.StringIO(content.decode())))[1:]
        titles = [row[3] for row in table]
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        table = list(sheet.iter_rows(values_only=True))[1:]
        titles = [row[3] or "" for row in table]
    assert len(table) == expected
    assert sorted(set(titles)) == ["", "Contract"]
    assert titles.count("") == expected // 2


def test_every_event_type_lists_with_and_without_a_link(client, superuser, legal):
    link = make_link(make_document("Contract", collection=legal), ["a@example.com"])
    AccessEvent.objects.all().delete()
    expected = every_event_type(link)
    client.force_login(superuser)
    seen = 0
    for page in range(1, expected // 50 + 2):
        response = client.get(reverse(RESULTS), {"p": page})
        assert response.status_code in (200, 404)
        if response.status_code == 200:
            seen += len(rows(response))
    assert seen == expected
    # The dashboard panel lists the newest events, one without a link among them.
    assert client.get(reverse("wagtailadmin_home")).status_code == 200


def test_the_person_filter_matches_the_address_or_how_it_begins(client, events):
    from wagtail_securelink.audit.activity import AccessEventFilterSet

    base = AccessEvent.objects.all()
    for text, expected in [
        ("eve@example.org", {"eve@example.org"}),
        ("  EVE@Example.org ", {"eve@example.org"}),  # canonical, as stored
        ("eve@", {"eve@example.org"}),
    ]:
        emails = set(
            AccessEventFilterSet({"email": text}, queryset=base).qs.values_list(
                "email", flat=True
            )
        )
        assert emails == expected, text
    sql = str(AccessEventFilterSet({"email": "eve@"}, queryset=base).qs.query)
    assert "LIKE" in sql and "UPPER" not in sql  # the B-tree's prefix, not a scan


def test_person_report_costs_the_same_queries_at_two_sizes(client, events):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    superuser = make_user("root", superuser=True)
    client.force_login(superuser)
    url = reverse(REPORT)
    client.get(url, {"email": "eve@example.org"})
    counts = []
    for extra in (10, 500):
        AccessEvent.objects.bulk_create(
            [
                AccessEvent(event="viewed", email=f"p{i}@example.com")
                for i in range(extra)
            ]
        )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"email": "eve@example.org"}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_the_report_counts_up_to_its_cap(client, events, monkeypatch):
    from wagtail_securelink.admin.listing import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "cap", 5)
    superuser = make_user("root", superuser=True)
    client.force_login(superuser)
    AccessEvent.objects.bulk_create([AccessEvent(event="viewed") for _ in range(10)])
    response = client.get(reverse(REPORT))
    assert response.status_code == 200
    assert response.context["paginator"].count == 6  # the cap and one: "more than"
    assert "More than 5" in response.content.decode()
