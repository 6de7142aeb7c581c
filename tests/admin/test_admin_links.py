"""The Shared links area (SPEC §5): Wagtail's ModelViewSet over ShareLink."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_link, make_user
from wagtail_securelink.core.tokens import new_link_key
from wagtail_securelink.models import AccessEvent, Recipient, ShareLink

pytestmark = pytest.mark.django_db

ADMIN = "wagtailadmin.access_admin"
ADD_LINK = "wagtail_securelink.add_sharelink"
INDEX = "wagtail_securelink_sharelink:index"
RESULTS = "wagtail_securelink_sharelink:index_results"


def listed(response):
    return {link.pk for link in response.context["object_list"]}


def bulk_url(*links):
    url = reverse(
        "wagtail_bulk_action", args=["wagtail_securelink", "sharelink", "revoke"]
    )
    return url + "?" + "&".join(f"id={link.pk}" for link in links)


def test_menu_item_is_shown_to_editors_who_may_share(client, editor):
    client.force_login(editor)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse(INDEX) in html


def test_menu_item_is_hidden_without_securelink_permission(client, legal):
    plain = make_user(
        "plain", perms=[ADMIN], collection_perms=[(legal, "change_document")]
    )
    client.force_login(plain)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse(INDEX) not in html
    assert client.get(reverse(INDEX)).status_code in (302, 403)


def test_superuser_sees_every_link(client, superuser, contract, budget):
    mine, theirs = (
        make_link(contract, ["a@example.com"]),
        make_link(budget, ["b@x.org"]),
    )
    client.force_login(superuser)
    response = client.get(reverse(INDEX))
    assert response.status_code == 200
    assert listed(response) == {mine.pk, theirs.pk}
    html = response.content.decode()
    assert (
        reverse("wagtail_securelink_admin:manage_document", args=[contract.pk]) in html
    )


def test_editor_sees_only_links_on_items_they_may_change(
    client, editor, contract, budget, legal, finance
):
    mine = make_link(contract, ["a@example.com"])
    make_link(budget, ["b@example.com"])
    collection_link = ShareLink.objects.create(
        key=new_link_key(),
        target_type="collection",
        collection=legal,
        target_title="Legal",
    )
    ShareLink.objects.create(
        key=new_link_key(),
        target_type="collection",
        collection=finance,
        target_title="Finance",
    )
    client.force_login(editor)
    assert listed(client.get(reverse(INDEX))) == {mine.pk, collection_link.pk}


def test_filters(client, superuser, contract, legal):
    active = make_link(contract, ["a@example.com"], role="view")
    expired = make_link(contract, ["b@example.com"])
    ShareLink.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - datetime.timedelta(days=1)
    )
    revoked = make_link(contract, ["c@example.com"])
    ShareLink.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    folder = ShareLink.objects.create(
        key=new_link_key(),
        target_type="collection",
        collection=legal,
        target_title="Legal",
        audience="organization",
    )
    other_creator = make_user("other", superuser=True)
    theirs = make_link(contract, ["d@example.com"], created_by=other_creator)
    client.force_login(superuser)

    def only(**params):
        return listed(client.get(reverse(RESULTS), params))

    assert only(status="active") == {active.pk, folder.pk, theirs.pk}
    assert only(status="expired") == {expired.pk}
    assert only(status="revoked") == {revoked.pk}
    assert only(role="view") == {active.pk}
    assert only(audience="specific") == {active.pk, expired.pk, revoked.pk, theirs.pk}
    assert only(audience="organization") == {folder.pk}
    assert only(target_type="collection") == {folder.pk}
    assert only(created_by=other_creator.pk) == {theirs.pk}


def test_search_by_title_or_recipient(client, superuser, contract, budget):
    a = make_link(contract, ["alice@example.com", "alina@example.com"])
    b = make_link(budget, ["bob@example.com"])
    client.force_login(superuser)
    assert listed(client.get(reverse(RESULTS), {"q": "budg"})) == {b.pk}
    # Two matching recipients, one row.
    response = client.get(reverse(RESULTS), {"q": "ali"})
    assert [link.pk for link in response.context["object_list"]] == [a.pk]
    # Matched by its title and by a recipient's address, one row.
    c = make_link(budget, ["budget-office@example.com"])
    response = client.get(reverse(RESULTS), {"q": "budg"})
    assert [link.pk for link in response.context["object_list"]] == [c.pk, b.pk]
    assert response.context["paginator"].count == 2


def _many_links(document, creator, count):
    links = ShareLink.objects.bulk_create(
        [
            ShareLink(
                key=new_link_key(),
                target_type="document",
                document=document,
                target_title=document.title,
                created_by=creator,
            )
            for _ in range(count)
        ]
    )
    Recipient.objects.bulk_create(
        [Recipient(link=link, email=f"p{link.pk}@example.com") for link in links]
    )


@pytest.mark.parametrize("who", ["superuser", "editor"])
def test_query_count_is_constant_from_10_to_1000_links(client, request, contract, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    client.get(reverse(INDEX))  # warm up sessions, content types, site
    counts = []
    for total in (10, 1000):
        _many_links(contract, user, total - ShareLink.objects.count())
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(INDEX))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    print(f"Shared links listing, {who}: {counts[0]} queries at 10 and 1,000 links")


# Bulk revoke ----------------------------------------------------------------------


def test_bulk_revoke(client, editor, contract):
    links = [make_link(contract, [f"p{i}@example.com"]) for i in range(3)]
    client.force_login(editor)
    confirm = client.get(bulk_url(*links[:2]))
    assert confirm.status_code == 200
    assert "Revoke these 2 links?" in confirm.content.decode()
    response = client.post(bulk_url(*links[:2]))
    assert response.status_code == 302
    assert set(ShareLink.objects.revoked().values_list("pk", flat=True)) == {
        links[0].pk,
        links[1].pk,
    }
    assert AccessEvent.objects.filter(event="link_revoked").count() == 2


def test_bulk_revoke_of_a_foreign_link_is_refused_whole(
    client, editor, contract, budget
):
    mine, theirs = (
        make_link(contract, ["a@example.com"]),
        make_link(budget, ["b@x.org"]),
    )
    client.force_login(editor)
    assert client.get(bulk_url(mine, theirs)).status_code == 403
    assert client.post(bulk_url(mine, theirs)).status_code == 403
    assert not ShareLink.objects.revoked().exists()
    assert not AccessEvent.objects.filter(event="link_revoked").exists()


def test_no_add_edit_or_delete_views(client, superuser, contract):
    from django.urls import NoReverseMatch

    for name in ("add", "edit", "delete", "copy"):
        with pytest.raises(NoReverseMatch):
            reverse(f"wagtail_securelink_sharelink:{name}", args=[1])


def test_search_costs_the_same_queries_at_two_sizes(client, superuser, contract):
    client.force_login(superuser)
    client.get(reverse(INDEX), {"q": "p1"})
    counts = []
    for total in (20, 1000):
        _many_links(contract, superuser, total - ShareLink.objects.count())
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(INDEX), {"q": "p1"})
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_search_reads_each_side_once_not_once_per_link(superuser, rf):
    """Title matches and recipient matches are one ``IN`` over a ``UNION`` of the two
    sides (each answered by its trigram index on PostgreSQL): not an ``EXISTS`` run
    for every link of the table, nor ``IN (...) OR IN (...)``, which PostgreSQL can
    only test against every link in turn."""
    from wagtail_securelink.admin.viewsets import ShareLinkIndexView

    view = ShareLinkIndexView()
    view.search_query = "contract 000123"
    sql = str(view.search_queryset(ShareLink.objects.all()).query)
    assert "EXISTS" not in sql
    # SQLite prints ``IN (SELECT … UNION SELECT …)``, PostgreSQL wraps each side in
    # parentheses: ``IN ((SELECT …) UNION (SELECT …))``.
    assert len(re.findall(r" IN \(\(?SELECT", sql)) == 1, sql
    assert len(re.findall(r"\)? UNION \(?SELECT ", sql)) == 1 and " OR " not in sql, sql
    # Neither side is sorted by its model's default ordering.
    assert sql.count("ORDER BY") == 1, sql


def test_the_creator_filter_probes_per_user(client, superuser):
    from wagtail_securelink.admin.viewsets import ShareLinkFilterSet

    queryset = ShareLinkFilterSet.base_filters["created_by"].queryset(None)
    sql = str(queryset.query)
    assert "EXISTS" in sql and 'created_by_id" = ("' in sql.replace("U0.", ""), sql
