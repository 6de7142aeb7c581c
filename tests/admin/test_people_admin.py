"""The People area: every outside address across the links an editor may
manage, its filters, the per-person and bulk actions, and its query count."""

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_document, make_link, make_user
from tests.helpers import verify
from wagtail_securelink.core.tokens import new_link_key
from wagtail_securelink.models import AccessEvent, Recipient, ShareLink

pytestmark = pytest.mark.django_db

INDEX = "wagtail_securelink_people:index"
RESULTS = "wagtail_securelink_people:index_results"
PERSON = "wagtail_securelink_admin:person"
ACTION = "wagtail_securelink_admin:person_action"
ALICE = "alice@example.com"
BOB = "bob@partner.org"


def listed(response):
    return {row.email for row in response.context["object_list"]}


def bulk_url(action, *emails):
    firsts = [Recipient.objects.filter(email=e).order_by("pk").first() for e in emails]
    url = reverse(
        "wagtail_bulk_action", args=["wagtail_securelink", "recipient", action]
    )
    return url + "?" + "&".join(f"id={r.pk}" for r in firsts)


@pytest.fixture
def shared(contract, budget, legal):
    """Alice on two Legal items and one Finance item; Bob on one Legal item."""
    second = make_document("NDA", collection=legal)
    return {
        "contract": make_link(contract, [ALICE, BOB]),
        "nda": make_link(second, [ALICE]),
        "budget": make_link(budget, [ALICE, "carol@example.com"]),
    }


def test_people_lists_each_address_once_with_its_facts(client, superuser, shared):
    client.force_login(superuser)
    response = client.get(reverse(INDEX))
    assert response.status_code == 200
    assert listed(response) == {ALICE, BOB, "carol@example.com"}
    alice = next(r for r in response.context["object_list"] if r.email == ALICE)
    assert (alice.link_count, alice.item_count, alice.open_link_count) == (3, 3, 3)
    assert (alice.locked_count, alice.open_grants, alice.last_opened) == (0, 0, None)
    html = response.content.decode()
    assert "Who has access now (CSV)" in html


def test_editors_see_only_people_on_links_they_manage(client, editor, shared):
    client.force_login(editor)
    response = client.get(reverse(INDEX))
    assert listed(response) == {ALICE, BOB}  # Carol is on a Finance link only
    alice = next(r for r in response.context["object_list"] if r.email == ALICE)
    assert alice.link_count == 2  # the Finance link is not counted either
    assert (
        client.get(reverse(PERSON), {"email": "carol@example.com"}).status_code == 404
    )


def test_people_area_is_refused_without_securelink_permission(client, legal, shared):
    user = make_user(
        "reader",
        perms=["wagtailadmin.access_admin"],
        collection_perms=[(legal, "change_document")],
    )
    client.force_login(user)
    assert client.get(reverse(INDEX)).status_code in (302, 403)
    assert client.get(reverse(PERSON), {"email": ALICE}).status_code == 403
    response = client.post(reverse(ACTION), {"email": ALICE, "action": "remove"})
    assert response.status_code == 403
    assert Recipient.objects.filter(email=ALICE).count() == 3
    menu = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse(INDEX) not in menu


def test_filters_and_search(client, superuser, shared):
    client.force_login(superuser)
    Recipient.objects.filter(email=BOB).update(locked_at=timezone.now())
    Recipient.objects.filter(email="carol@example.com").update(
        expires_at=timezone.now() + datetime.timedelta(days=2)
    )
    verify(client, shared["nda"], ALICE)
    client.get(reverse("wagtail_securelink:download", args=[shared["nda"].token]))
    client.force_login(superuser)

    def only(**params):
        return listed(client.get(reverse(RESULTS), params))

    assert only(domain="partner.org") == {BOB}
    assert only(domain="@EXAMPLE.com") == {ALICE, "carol@example.com"}
    assert only(item="budg") == {ALICE, "carol@example.com"}
    assert only(locked="true") == {BOB}
    assert only(expiring="true") == {"carol@example.com"}
    assert only(never_opened="true") == {BOB, "carol@example.com"}
    assert only(never_opened="false") == {ALICE}
    assert only(q="carol") == {"carol@example.com"}


def test_person_page_lists_every_link(client, editor, shared):
    client.force_login(editor)
    response = client.get(reverse(PERSON), {"email": "  Alice@Example.com "})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Contract" in html and "NDA" in html
    assert "Budget" not in html  # another collection's link
    assert client.get(reverse(PERSON), {"email": "not an address"}).status_code == 404


def test_remove_from_every_link_keeps_the_audit(client, editor, shared):
    client.force_login(editor)
    response = client.post(reverse(ACTION), {"email": ALICE, "action": "remove"})
    assert response.status_code == 302
    # Gone from the editor's two links, still on the Finance link they cannot manage.
    assert list(
        Recipient.objects.filter(email=ALICE).values_list("link_id", flat=True)
    ) == [shared["budget"].pk]
    removed = AccessEvent.objects.filter(event="recipient_removed", email=ALICE)
    assert removed.count() == 2  # the address stays in the audit trail
    assert AccessEvent.objects.filter(email=ALICE, event="link_created").count() == 0


def test_set_and_clear_the_end_of_access_everywhere(client, editor, shared):
    client.force_login(editor)
    day = timezone.localdate() + datetime.timedelta(days=9)
    response = client.post(
        reverse(ACTION),
        {"email": ALICE, "action": "access_end", "access_until": day.isoformat()},
    )
    assert response.status_code == 302
    ends = dict(
        Recipient.objects.filter(email=ALICE).values_list("link_id", "expires_at")
    )
    assert timezone.localtime(ends[shared["contract"].pk]).date() == day
    assert timezone.localtime(ends[shared["nda"].pk]).date() == day
    assert ends[shared["budget"].pk] is None
    response = client.post(
        reverse(ACTION),
        {"email": ALICE, "action": "access_end", "access_until": "1999-01-01"},
        follow=True,
    )
    assert "The end of access must be in the future." in response.content.decode()
    client.post(reverse(ACTION), {"email": ALICE, "action": "access_end"})
    assert not Recipient.objects.filter(email=ALICE, expires_at__isnull=False).exists()


def test_unlock_and_resend(client, editor, shared):
    Recipient.objects.filter(email=ALICE).update(
        locked_at=timezone.now(), failure_count=5
    )
    client.force_login(editor)
    client.post(reverse(ACTION), {"email": ALICE, "action": "unlock"})
    assert list(
        Recipient.objects.filter(email=ALICE, locked_at__isnull=False).values_list(
            "link_id", flat=True
        )
    ) == [shared["budget"].pk]
    mail.outbox.clear()
    client.post(reverse(ACTION), {"email": ALICE, "action": "resend"})
    assert sorted(m.to[0] for m in mail.outbox) == [ALICE, ALICE]
    assert shared["contract"].url in "".join(m.body for m in mail.outbox)
    assert shared["budget"].url not in "".join(m.body for m in mail.outbox)


def test_bad_action_or_address_is_a_4xx(client, editor, shared):
    client.force_login(editor)
    assert (
        client.post(reverse(ACTION), {"email": ALICE, "action": "x"}).status_code == 400
    )
    response = client.post(reverse(ACTION), {"email": "nobody", "action": "remove"})
    assert response.status_code == 404
    assert client.get(reverse(ACTION)).status_code == 405


def test_bulk_remove_and_bulk_end_of_access(client, editor, shared):
    client.force_login(editor)
    confirm = client.get(bulk_url("remove_people", BOB))
    assert confirm.status_code == 200
    assert BOB in confirm.content.decode()
    response = client.post(bulk_url("remove_people", BOB))
    assert response.status_code == 302
    assert not Recipient.objects.filter(email=BOB).exists()
    day = timezone.localdate() + datetime.timedelta(days=4)
    response = client.post(
        bulk_url("access_end_people", ALICE), {"access_until": day.isoformat()}
    )
    assert response.status_code == 302
    assert Recipient.objects.filter(email=ALICE, expires_at__isnull=False).count() == 2
    # A past date: the form again, nothing changed.
    response = client.post(
        bulk_url("access_end_people", ALICE), {"access_until": "2001-01-01"}
    )
    assert response.status_code == 200
    assert "The end of access must be in the future." in response.content.decode()


def test_bulk_action_does_not_reach_other_collections(client, editor, shared):
    client.force_login(editor)
    # Carol's first row is on the Finance link: listed as "no access", nothing done.
    client.post(bulk_url("remove_people", "carol@example.com"))
    assert Recipient.objects.filter(email="carol@example.com").exists()


def _many_people(document, total):
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


@pytest.mark.parametrize("who", ["superuser", "editor"])
def test_query_count_is_constant_from_10_to_10000_people(
    client, request, contract, who
):
    user = request.getfixturevalue(who)
    client.force_login(user)
    client.get(reverse(INDEX))  # warm up sessions, content types, site
    counts = []
    for total in (10, 10_000):
        _many_people(contract, total)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(INDEX))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert response.context["paginator"].count == 10_000
    print(f"People listing, {who}: {counts[0]} queries at 10 and 10,000 people")


@pytest.mark.parametrize("who", ["superuser", "editor"])
def test_search_costs_the_same_queries_at_two_sizes(client, request, contract, who):
    client.force_login(request.getfixturevalue(who))
    client.get(reverse(INDEX), {"q": "p12"})
    counts, found = [], []
    for total in (200, 4000):
        _many_people(contract, total)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(INDEX), {"q": "p12"})
        assert response.status_code == 200
        counts.append(len(queries))
        found.append(response.context["paginator"].count)
    assert counts[0] == counts[1], counts
    # p12, p120..p129 at 200 people; and p1200..p1299 at 4,000.
    assert found == [11, 111]


def test_each_address_is_its_first_row_whatever_the_search(client, superuser, shared):
    """The row of an address is its first recipient row on a link the user may see
    (no earlier row of the same address), also when a search or a filter cuts first."""
    client.force_login(superuser)
    response = client.get(reverse(INDEX), {"q": "alice"})
    rows = list(response.context["object_list"])
    assert [r.email for r in rows] == [ALICE]
    assert rows[0].pk == Recipient.objects.filter(email=ALICE).order_by("pk")[0].pk
    assert rows[0].link_count == 3


def test_the_page_is_cut_before_the_people_are_aggregated(superuser, shared):
    """No ``GROUP BY`` over every recipient ahead of the page (``pk IN (SELECT
    MIN(pk) ... GROUP BY email)``): each address's first row is found by an
    anti-join, and every fact is a subquery for the rows of the page only."""
    from wagtail_securelink.sharing.people import people_for

    sql = str(people_for(superuser).order_by("email")[:50].query)
    where = sql[sql.index('FROM "wagtail_securelink_recipient" WHERE') :]
    assert "NOT EXISTS" in where
    assert "MIN(" not in where, where


def test_the_count_stops_at_the_cap(client, superuser, contract, monkeypatch):
    """Counting every person probes each address's first row; past the cap the
    listing counts the cap and a sentinel and says "more than", searching or not."""
    from wagtail_securelink.admin.listing import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "cap", 5)
    client.force_login(superuser)
    _many_people(contract, 12)
    response = client.get(reverse(INDEX))
    assert response.context["paginator"].count == 6  # the cap and one: "more than"
    assert "More than 5 recipients" in response.content.decode()
    searched = client.get(reverse(RESULTS), {"q": "example.com"})
    assert "There are more than 5 matches" in searched.content.decode()
    # Under the cap the count is exact, and so is the message.
    few = client.get(reverse(RESULTS), {"q": "p1"})  # p1, p10, p11
    assert few.context["paginator"].count == 3
    assert "There are 3 matches" in few.content.decode()
