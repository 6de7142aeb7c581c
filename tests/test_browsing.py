"""What a collection link reaches (``browsing``): its scope, and its ZIP's contents and cap."""

import pytest

from tests.factories import make_collection, make_document, make_link
from wagtail_securelink import browsing
from wagtail_securelink.models import SecureLinkPolicy

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
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


def test_zip_of_the_shared_collection_holds_its_subtree_in_archive_order(tree):
    root, _sub, docs = tree
    link = make_link(root, ["alice@example.com"])
    zipped = list(browsing.zip_documents(link, root))
    assert zipped == [docs["a"], docs["b"], docs["drawing"]]
    assert browsing.zip_folders(link, root)[0] == root
    assert len(browsing.zip_folders(link, root)) == 2


def test_zip_of_a_subfolder_holds_only_that_folder(tree):
    root, sub, docs = tree
    link = make_link(root, ["alice@example.com"])
    assert list(browsing.zip_documents(link, sub)) == [docs["drawing"]]


def test_zip_without_subcollections(tree):
    root, _sub, docs = tree
    link = make_link(root, ["alice@example.com"], include_descendants=False)
    assert list(browsing.zip_documents(link, root)) == [docs["a"], docs["b"]]
    assert browsing.zip_folders(link, root) == [root]


def test_zip_size_against_the_policy_cap(tree):
    root, _sub, _docs = tree
    link = make_link(root, ["alice@example.com"])
    policy = SecureLinkPolicy.load()
    policy.zip_max_mb = 1
    size = browsing.zip_size(browsing.zip_documents(link, root), policy)
    assert (size.total, size.cap, size.allowed) == (6, 1024 * 1024, True)
    assert browsing.ZipSize(total=1024 * 1024 + 1, cap=1024 * 1024).allowed is False
    assert browsing.ZipSize(total=1024 * 1024, cap=1024 * 1024).allowed is True
