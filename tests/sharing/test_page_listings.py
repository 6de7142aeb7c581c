"""Page preview links in every listing and export (issue 31: "every shared-item
listing shows page links"), and what deleting, unpublishing or moving the page does
to its previews. Real requests, real rows; the reviewer has only a page link."""

import csv
import io
from io import StringIO

import openpyxl
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from wagtail import VERSION as WAGTAIL_VERSION
from wagtail.models import Page

from tests.factories import make_document, make_link, make_user
from tests.helpers import landing_url, verified
from tests.sharing.test_page_links import page_editor
from wagtail_securelink.choices import EventType
from wagtail_securelink.models import AccessEvent, ShareLink

pytestmark = pytest.mark.django_db

REVIEWER = "reviewer@example.net"  # on the page link only
READER = "reader@example.com"  # on the document link only
TITLE = "Draft title v1"
PREVIEW_MARK = b"data-securelink-preview-banner"
REPORT = "wagtail_securelink_admin:activity"
EXPORT = "wagtail_securelink_admin:access_export"
INDEX = "wagtail_securelink_sharelink:index"
PEOPLE = "wagtail_securelink_people:index"
API = "/api/v3/securelink"


@pytest.fixture
def links(root_collection, draft):
    """A page link seen once by its reviewer, and a document link beside it."""
    page_link = make_link(draft, [REVIEWER], role="view")
    document_link = make_link(make_document("Contract"), [READER])
    verified(Client(), page_link, REVIEWER).get(landing_url(page_link))
    return {"page": page_link, "document": document_link}


def admin(client, user=None):
    client.force_login(user or make_user("root", superuser=True))
    return client


def csv_table(response) -> list[list[str]]:
    assert response.status_code == 200, response
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def xlsx_table(response) -> list[tuple]:
    assert response.status_code == 200, response
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(book.active.iter_rows(values_only=True))


# Shared links ------------------------------------------------------------------------


def test_shared_links_names_the_page_preview_and_filters_and_searches_it(client, links):
    admin(client)
    html = client.get(reverse(INDEX)).content.decode()
    assert f"{TITLE} (page preview)" in html
    assert "Contract" in html
    manage = reverse(
        "wagtail_securelink_admin:manage_page", args=[links["page"].page_id]
    )
    assert manage in html
    pages_only = client.get(reverse(INDEX), {"target_type": "page"})
    assert [link.pk for link in pages_only.context["object_list"]] == [links["page"].pk]
    documents_only = client.get(reverse(INDEX), {"target_type": "document"})
    assert [link.pk for link in documents_only.context["object_list"]] == [
        links["document"].pk
    ]
    found = client.get(reverse(INDEX), {"q": "draft title"})
    assert [link.pk for link in found.context["object_list"]] == [links["page"].pk]


# People and a person ----------------------------------------------------------------


def test_people_counts_the_page_as_an_item_of_a_person_who_has_only_a_page_link(
    client, links
):
    admin(client)
    response = client.get(reverse(PEOPLE))
    assert response.status_code == 200
    rows = {row.email: row for row in response.context["object_list"]}
    assert set(rows) == {REVIEWER, READER}
    reviewer = rows[REVIEWER]
    assert (reviewer.link_count, reviewer.open_link_count) == (1, 1)
    assert reviewer.item_count == 1  # the page, as the reader's document is theirs
    assert rows[READER].item_count == 1
    # The *Shared item* filter finds the reviewer by the page's title.
    found = client.get(reverse(PEOPLE), {"item": "draft title"})
    assert [row.email for row in found.context["object_list"]] == [REVIEWER]


def test_the_person_page_lists_the_page_link_with_its_manage_access(client, links):
    admin(client)
    response = client.get(
        reverse("wagtail_securelink_admin:person"), {"email": REVIEWER}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert TITLE in html
    assert (
        reverse("wagtail_securelink_admin:manage_page", args=[links["page"].page_id])
        in html
    )
    assert "Contract" not in html


def test_the_securelink_people_command_counts_the_page(links):
    out = StringIO()
    call_command("securelink_people", "list", "--csv", stdout=out)
    table = list(csv.reader(io.StringIO(out.getvalue())))
    header, rows = table[0], {row[0]: row for row in table[1:]}
    assert rows[REVIEWER][header.index("items")] == "1"


# The activity report and its exports --------------------------------------------------


def test_the_activity_report_and_its_csv_and_xlsx_show_the_page_links_events(
    client, links
):
    admin(client)
    page_link = links["page"]
    report = client.get(reverse(REPORT), {"link": page_link.pk})
    assert report.status_code == 200
    assert TITLE in report.content.decode()
    shown = {event.event for event in report.context["object_list"]}
    assert {EventType.VERIFIED, EventType.VIEWED} <= shown
    by_item = client.get(reverse(REPORT), {"item": "draft title"})
    assert {event.link_id for event in by_item.context["object_list"]} == {page_link.pk}

    table = csv_table(
        client.get(reverse(REPORT), {"export": "csv", "link": page_link.pk})
    )
    assert table[0][:4] == ["Date", "Event", "Link number", "Shared item"]
    assert {row[3] for row in table[1:]} == {TITLE}
    assert "Viewed" in {row[1] for row in table[1:]}
    assert REVIEWER in {row[4] for row in table[1:]}

    values = xlsx_table(
        client.get(reverse(REPORT), {"export": "xlsx", "link": page_link.pk})
    )
    assert {row[3] for row in values[1:]} == {TITLE}
    assert "Viewed" in {row[1] for row in values[1:]}


def test_who_has_access_now_lists_the_reviewer_with_the_page_type(client, links):
    admin(client)
    for fmt, read in (("csv", csv_table), ("xlsx", xlsx_table)):
        rows = [list(row) for row in read(client.get(reverse(EXPORT), {"format": fmt}))]
        header = rows[0]
        reviewer = next(row for row in rows if row[header.index("Person")] == REVIEWER)
        assert reviewer[header.index("Shared item")] == TITLE, fmt
        assert reviewer[header.index("Type")] == "Page preview", fmt
        assert reviewer[header.index("Role")] == "View only", fmt
        reader = next(row for row in rows if row[header.index("Person")] == READER)
        assert reader[header.index("Type")] == "Document", fmt


def test_an_editor_exports_only_the_page_links_of_pages_they_may_edit(
    client, section, draft, links
):
    other = section.get_parent().add_child(instance=Page(title="Elsewhere", slug="x"))
    make_link(other, ["someone@example.org"], role="view")
    admin(client, page_editor(section))
    rows = csv_table(client.get(reverse(EXPORT), {"format": "csv"}))
    assert {row[5] for row in rows[1:]} == {REVIEWER}
    report = csv_table(client.get(reverse(REPORT), {"export": "csv"}))
    assert {row[3] for row in report[1:]} == {TITLE}


# The API and the command line --------------------------------------------------------


# Wagtail 7.4 has no API v3 (tests/test_api_guard.py).
needs_api = pytest.mark.skipif(WAGTAIL_VERSION < (8, 0), reason="Wagtail API v3")


def _api(client, user):
    from wagtail.models import APIToken

    _token, secret = APIToken.create_token(user=user, name="script")

    def get(path, data=None):
        return client.get(API + path, data or {}, HTTP_AUTHORIZATION=f"Bearer {secret}")

    return get


@needs_api
def test_the_api_lists_the_page_link_and_its_events(client, links):
    get = _api(client, make_user("root", superuser=True))
    page_link = links["page"]
    listed = get("/links/", {"target_type": "page"})
    assert listed.status_code == 200, listed.content
    [item] = listed.json()["items"]
    assert item["id"] == page_link.pk
    assert item["target"] == {"type": "page", "id": page_link.page_id, "title": TITLE}
    assert [r["email"] for r in item["recipients"]] == [REVIEWER]
    by_id = get("/links/", {"target_type": "page", "target_id": page_link.page_id})
    assert [i["id"] for i in by_id.json()["items"]] == [page_link.pk]
    assert get(f"/links/{page_link.pk}/").json()["target"]["type"] == "page"
    everything = {i["id"] for i in get("/links/").json()["items"]}
    assert everything == {page_link.pk, links["document"].pk}

    events = get("/events/", {"link": page_link.pk}).json()["items"]
    assert {e["item"] for e in events} == {TITLE}
    assert "viewed" in {e["event"] for e in events}
    exported = csv_table(get("/events/csv/", {"link": page_link.pk}))
    assert exported[0][4] == "item"
    assert {row[4] for row in exported[1:]} == {TITLE}


@needs_api
def test_the_api_shows_an_editor_only_page_links_they_may_edit(client, section, links):
    other = section.get_parent().add_child(instance=Page(title="Elsewhere", slug="x"))
    theirs = make_link(other, ["someone@example.org"], role="view")
    get = _api(client, page_editor(section))
    assert [i["id"] for i in get("/links/").json()["items"]] == [links["page"].pk]
    assert get(f"/links/{theirs.pk}/").status_code == 404


def test_securelink_list_shows_the_page_link(links):
    out = StringIO()
    call_command("securelink_list", "--status", "active", stdout=out)
    lines = out.getvalue().splitlines()
    row = next(line for line in lines if line.startswith(str(links["page"].pk) + " "))
    assert TITLE in row and REVIEWER in row and "view" in row and "active" in row


# Deleting, unpublishing, moving the page ---------------------------------------------


def test_deleting_the_page_ends_the_preview_with_the_no_longer_available_page(
    client, draft
):
    page_link = make_link(draft, [REVIEWER], role="view")
    reviewer = verified(Client(), page_link, REVIEWER)
    assert PREVIEW_MARK in reviewer.get(landing_url(page_link)).content
    draft.delete()
    for browser in (reviewer, Client()):  # with the grant, and a new browser
        response = browser.get(landing_url(page_link))
        assert response.status_code == 410
        assert b"This item is no longer available" in response.content
        assert TITLE.encode() not in response.content
        assert PREVIEW_MARK not in response.content
        assert "no-store" in response["Cache-Control"]
    # The link stays in Shared links (a superuser's), named as it was, without a 500.
    admin(client)
    index = client.get(reverse(INDEX))
    assert index.status_code == 200
    assert TITLE in index.content.decode()
    assert ShareLink.objects.get(pk=page_link.pk).page_id is None


def test_deleting_the_section_ends_the_previews_of_the_pages_under_it(section, draft):
    page_link = make_link(draft, [REVIEWER], role="view")
    reviewer = verified(Client(), page_link, REVIEWER)
    section.delete()
    assert reviewer.get(landing_url(page_link)).status_code == 410


def test_unpublishing_ends_the_preview_on_the_next_request(client, draft, section):
    """Taking a page down ends its previews, through Wagtail's own unpublish action
    (the admin's, whoever does it): the reviewer's next request shows the removed
    page, the audit says why, and publishing again does not bring the link back."""
    page_link = make_link(draft, [REVIEWER], role="view")
    other = section.add_child(instance=Page(title="Other", slug="other"))
    other.save_revision().publish()
    other_link = make_link(other, [REVIEWER], role="view")
    reviewer = verified(Client(), page_link, REVIEWER)
    assert PREVIEW_MARK in reviewer.get(landing_url(page_link)).content

    client.force_login(make_user("chief", superuser=True))
    unpublish = reverse("wagtailadmin_pages:unpublish", args=[draft.pk])
    assert client.post(unpublish).status_code == 302
    assert not Page.objects.get(pk=draft.pk).live

    response = reviewer.get(landing_url(page_link))
    assert response.status_code == 404
    assert (
        PREVIEW_MARK not in response.content and TITLE.encode() not in response.content
    )
    revoked = AccessEvent.objects.get(link=page_link, event=EventType.LINK_REVOKED)
    assert revoked.detail == {"reason": "page_unpublished"}
    # Another page's link is untouched; publishing the page again keeps this one ended.
    assert ShareLink.objects.get(pk=other_link.pk).revoked_at is None
    Page.objects.get(pk=draft.pk).save_revision().publish()
    assert reviewer.get(landing_url(page_link)).status_code == 404


def test_a_page_moved_elsewhere_keeps_its_preview_and_goes_to_its_new_editors(
    client, section, draft
):
    """The link shares the page, wherever it lives: moved to a section its sharer may
    not edit, the reviewer still sees it; the link is then managed by those who may
    edit the page there, as a document moved to another collection is."""
    sharer = page_editor(section, "sharer")
    page_link = make_link(draft, [REVIEWER], role="view", created_by=sharer)
    reviewer = verified(Client(), page_link, REVIEWER)
    archive = section.get_parent().add_child(instance=Page(title="Archive", slug="a"))
    Page.objects.get(pk=draft.pk).move(archive, pos="last-child")
    assert PREVIEW_MARK in reviewer.get(landing_url(page_link)).content

    admin(client, sharer)
    assert client.get(reverse(INDEX)).context["object_list"].count() == 0
    revoke = reverse("wagtail_securelink_admin:revoke", args=[page_link.pk])
    assert client.post(revoke).status_code == 403
    keeper = page_editor(archive, "keeper")
    admin(client, keeper)
    assert [link.pk for link in client.get(reverse(INDEX)).context["object_list"]] == [
        page_link.pk
    ]
    assert client.post(revoke).status_code == 302
    assert reviewer.get(landing_url(page_link)).status_code == 404
    assert AccessEvent.objects.filter(
        link=page_link, event=EventType.LINK_REVOKED, user=keeper
    ).exists()
