"""browsing.py: what a collection link shows — folders, breadcrumbs, search, sort,
pagination — and its scope, computed at every request (SPEC §4, S11)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.documents import get_document_model

from tests.factories import make_collection, make_document, make_link
from tests.helpers import ALICE, landing_url, verified, visitor_url
from wagtail_securelink.models import SecureLinkPolicy
from wagtail_securelink.serving import browsing

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


@pytest.fixture
def zip_tree():
    """Documents created out of title order, to show the ZIP's archive order."""
    root = make_collection("Project")
    sub = make_collection("Drawings", parent=root)
    other = make_collection("Elsewhere")
    # Collections are kept in name order: adding "Elsewhere" moved "Project"'s path.
    root.refresh_from_db()
    sub.refresh_from_db()
    docs = {
        "b": make_document("B", "b.txt", b"bb", collection=root),
        "a": make_document("A", "a.txt", b"a", collection=root),
        "drawing": make_document("Drawing", "d.txt", b"ddd", collection=sub),
        "secret": make_document("Secret", "s.txt", b"s", collection=other),
    }
    return root, sub, docs


def test_zip_of_the_shared_collection_holds_its_subtree_in_archive_order(zip_tree):
    root, _sub, docs = zip_tree
    link = make_link(root, ["alice@example.com"])
    zipped = list(browsing.zip_documents(link, root))
    assert zipped == [docs["a"], docs["b"], docs["drawing"]]
    assert browsing.zip_folders(link, root)[0] == root
    assert len(browsing.zip_folders(link, root)) == 2


def test_zip_of_a_subfolder_holds_only_that_folder(zip_tree):
    root, sub, docs = zip_tree
    link = make_link(root, ["alice@example.com"])
    assert list(browsing.zip_documents(link, sub)) == [docs["drawing"]]


def test_zip_without_subcollections(zip_tree):
    root, _sub, docs = zip_tree
    link = make_link(root, ["alice@example.com"], include_descendants=False)
    assert list(browsing.zip_documents(link, root)) == [docs["a"], docs["b"]]
    assert browsing.zip_folders(link, root) == [root]


def test_zip_size_against_the_policy_cap(zip_tree):
    root, _sub, _docs = zip_tree
    link = make_link(root, ["alice@example.com"])
    policy = SecureLinkPolicy.load()
    policy.zip_max_mb = 1
    size = browsing.zip_size(browsing.zip_documents(link, root), policy)
    assert (size.total, size.cap, size.allowed) == (6, 1024 * 1024, True)
    assert browsing.ZipSize(total=1024 * 1024 + 1, cap=1024 * 1024).allowed is False
    assert browsing.ZipSize(total=1024 * 1024, cap=1024 * 1024).allowed is True
