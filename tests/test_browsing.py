"""browsing.py: what a collection link shows — folders, breadcrumbs, search, sort,
pagination — and its scope, computed at every request (SPEC §4, S11)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.documents import get_document_model

from tests.factories import make_collection, make_link
from tests.helpers import ALICE, landing_url, verified, visitor_url

pytestmark = pytest.mark.django_db


def test_folder_page_lists_documents_and_subfolders(client, tree):
    root, sub, _other, docs = tree
    link = make_link(root, [ALICE])
    page = verified(client, link).get(landing_url(link)).content.decode()
    assert "Plan" in page and "Notes" in page and "Drawings" in page
    assert "Drawing<" not in page  # in the subfolder, not at the top
    assert "Secret" not in page
    assert visitor_url("folder", link, sub.pk) in page
    sub_page = client.get(visitor_url("folder", link, sub.pk)).content.decode()
    assert (
        "Drawing" in sub_page and "Project" in sub_page
    )  # breadcrumb back to the root


def test_search_covers_the_whole_scope_and_sort_orders(client, tree):
    root, _sub, _other, _docs = tree
    link = make_link(root, [ALICE])
    verified(client, link)
    page = client.get(landing_url(link), {"q": "draw"}).content.decode()
    assert "Drawing" in page and "Plan" not in page
    page = client.get(landing_url(link), {"sort": "-title"}).content.decode()
    assert page.index("Plan") < page.index("Notes")
    page = client.get(landing_url(link), {"sort": "nonsense", "page": "x"})
    assert page.status_code == 200


def test_without_descendants_subfolders_are_out_of_reach(client, tree):
    root, sub, _other, docs = tree
    link = make_link(root, [ALICE], include_descendants=False)
    verified(client, link)
    assert "Drawings" not in client.get(landing_url(link)).content.decode()
    assert client.get(visitor_url("folder", link, sub.pk)).status_code == 404
    assert (
        client.get(
            visitor_url("collection_download", link, docs["drawing"].pk)
        ).status_code
        == 404
    )


def test_documents_outside_the_collection_are_unreachable(client, tree):
    root, _sub, _other, docs = tree
    link = make_link(root, [ALICE])
    verified(client, link)
    for name in ("collection_document", "collection_download", "collection_view_file"):
        assert client.get(visitor_url(name, link, docs["secret"].pk)).status_code == 404


def test_moving_a_document_out_makes_it_unreachable_on_the_next_request(client, tree):
    root, _sub, other, docs = tree
    link = make_link(root, [ALICE])
    verified(client, link)
    response = client.get(visitor_url("collection_download", link, docs["plan"].pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-plan"
    docs["plan"].collection = other
    docs["plan"].save()
    assert (
        client.get(
            visitor_url("collection_download", link, docs["plan"].pk)
        ).status_code
        == 404
    )


def test_deleted_collection_gives_410(client, tree):
    root, _sub, _other, _docs = tree
    link = make_link(root, [ALICE])
    verified(client, link)
    get_document_model().objects.filter(collection__path__startswith=root.path).delete()
    for child in root.get_children():
        child.delete()
    root.delete()
    assert client.get(landing_url(link)).status_code == 410


def test_listing_query_count_does_not_grow_with_documents(client):
    root = make_collection("Many")
    link = make_link(root, [ALICE])
    verified(client, link)
    Document = get_document_model()

    def add(n):
        Document.objects.bulk_create(
            [
                Document(
                    title=f"Doc {i:05}",
                    file=f"documents/doc{i}.pdf",
                    collection=root,
                    file_size=10,
                )
                for i in range(n)
            ]
        )

    add(10)
    with CaptureQueriesContext(connection) as small:
        assert client.get(landing_url(link)).status_code == 200
    add(1990)
    with CaptureQueriesContext(connection) as large:
        page = client.get(landing_url(link))
    assert page.status_code == 200
    assert b"Page 1 of 40" in page.content
    assert len(large) == len(small)
