"""S11: a collection link reaches only documents inside the shared collection (its subtree
when chosen) at request time, for every action: pages, files, ZIP, search and uploads.
Wagtail's own ``/documents/<id>/<file>`` view is not widened by a link."""

import io
import zipfile

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.models import CollectionViewRestriction

from tests.factories import make_collection, make_document, make_link
from tests.helpers import landing_url, verify
from tests.security.conftest import ALICE, PREVIEW_MARK

pytestmark = pytest.mark.django_db


def url(name, link, *args):
    return reverse(f"wagtail_securelink:{name}", args=[link.token, *args])


@pytest.fixture
def tree(root_collection):
    """Parent ⊃ Shared ⊃ Sub, and a Sibling of Shared (whose name shares its prefix)."""
    parent = make_collection("Parent")
    shared = make_collection("Shared", parent=parent)
    sub = make_collection("Sub", parent=shared)
    sibling = make_collection("Shared copy", parent=parent)
    docs = {
        "inside": make_document("Inside", "inside.txt", b"inside", collection=shared),
        "in_sub": make_document("In sub", "in_sub.txt", b"in sub", collection=sub),
        "in_parent": make_document(
            "In parent", "in_parent.txt", b"in parent", collection=parent
        ),
        "in_sibling": make_document(
            "In sibling", "in_sibling.txt", b"in sibling", collection=sibling
        ),
        "in_root": make_document("In root", "in_root.txt", b"in root"),
    }
    return {"parent": parent, "shared": shared, "sub": sub, "sibling": sibling}, docs


def _verified_link(tree, **kwargs):
    folders, _docs = tree
    kwargs.setdefault("role", "edit")
    link = make_link(folders["shared"], [ALICE], **kwargs)
    client = Client()
    assert verify(client, link, ALICE).status_code == 303
    return link, client


DOCUMENT_GETS = ["collection_document", "collection_download", "collection_view_file"]


def _document_answers(client, link, document):
    statuses = [
        client.get(url(n, link, document.pk)).status_code for n in DOCUMENT_GETS
    ]
    before = document.file.name
    replaced = client.post(
        url("collection_replace", link, document.pk),
        {"file": SimpleUploadedFile("new.txt", b"replaced")},
    )
    document.refresh_from_db()
    if replaced.status_code != 303:
        assert document.file.name == before, "a refused upload replaced the file"
    return statuses + [replaced.status_code]


@pytest.mark.parametrize("outside", ["in_parent", "in_sibling", "in_root"])
def test_documents_outside_the_subtree_are_unreachable(tree, outside):
    """S11: every per-document action answers 404 for a document outside the subtree."""
    link, client = _verified_link(tree)
    _folders, docs = tree
    assert _document_answers(client, link, docs[outside]) == [404] * 4
    assert (
        client.get(url("collection_download", link, docs["in_sub"].pk)).status_code
        == 200
    )


def test_without_subcollections_the_subcollection_is_unreachable(tree):
    """S11: ``include_descendants=False``: documents, folder page, ZIP and upload of the
    subcollection all answer 404; the shared folder's ZIP leaves them out."""
    folders, docs = tree
    link, client = _verified_link(tree, include_descendants=False)
    assert _document_answers(client, link, docs["in_sub"]) == [404] * 4
    sub = folders["sub"].pk
    assert client.get(url("folder", link, sub)).status_code == 404
    assert client.get(url("folder_zip", link, sub)).status_code == 404
    count = get_document_model().objects.count()
    response = client.post(
        url("folder_upload", link, sub), {"file": SimpleUploadedFile("x.txt", b"x")}
    )
    assert response.status_code == 404
    assert get_document_model().objects.count() == count
    archive = _zip(client.get(url("zip", link)))
    assert archive.namelist() == ["inside.txt"]


def test_a_document_moved_out_is_unreachable_on_the_next_request(tree):
    """S11: scope is decided at request time, not when the link was made."""
    folders, docs = tree
    link, client = _verified_link(tree)
    inside = docs["inside"]
    assert _document_answers(client, link, inside)[:3] == [200, 200, 200]
    inside.collection = folders["sibling"]
    inside.save()
    assert _document_answers(client, link, inside) == [404] * 4
    page = client.get(landing_url(link)).content.decode()
    assert "Inside" not in page
    assert "inside.txt" not in _zip(client.get(url("zip", link))).namelist()


def test_a_document_moved_in_becomes_reachable(tree):
    """S11: the other way round, a document moved into the shared folder is listed."""
    folders, docs = tree
    link, client = _verified_link(tree)
    moved = docs["in_sibling"]
    moved.collection = folders["shared"]
    moved.save()
    assert client.get(url("collection_download", link, moved.pk)).status_code == 200


@pytest.mark.parametrize("outside", ["parent", "sibling"])
def test_folders_outside_the_subtree_are_unreachable(tree, outside):
    """S11: folder page, folder ZIP and folder upload refuse a folder id outside."""
    folders, _docs = tree
    link, client = _verified_link(tree)
    target = folders[outside].pk
    assert client.get(url("folder", link, target)).status_code == 404
    assert client.get(url("folder_zip", link, target)).status_code == 404
    count = get_document_model().objects.count()
    response = client.post(
        url("folder_upload", link, target),
        {"file": SimpleUploadedFile("planted.txt", b"planted")},
    )
    assert response.status_code == 404
    assert get_document_model().objects.count() == count


def test_an_upload_cannot_choose_its_collection(tree):
    """S11: a ``collection`` field smuggled into the upload form is ignored."""
    folders, _docs = tree
    link, client = _verified_link(tree, role="upload")
    response = client.post(
        url("upload", link),
        {
            "file": SimpleUploadedFile("planted.txt", b"planted"),
            "collection": folders["sibling"].pk,
            "title": "Planted",
        },
    )
    assert response.status_code == 303
    planted = get_document_model().objects.get(file__contains="planted")
    assert planted.collection_id == folders["shared"].pk


def _zip(response):
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_zip_and_search_hold_only_the_subtree(tree):
    """S11: ZIP contents and search results never include a document outside."""
    folders, _docs = tree
    link, client = _verified_link(tree)
    assert sorted(_zip(client.get(url("zip", link))).namelist()) == [
        "Sub/in_sub.txt",
        "inside.txt",
    ]
    assert _zip(client.get(url("folder_zip", link, folders["sub"].pk))).namelist() == [
        "in_sub.txt"
    ]
    page = client.get(landing_url(link), {"q": "in"}).content.decode()
    assert "Inside" in page and "In sub" in page
    assert "In parent" not in page and "In sibling" not in page
    assert "In root" not in page


def test_a_document_link_reaches_no_other_document_and_no_folder(tree):
    """S11: a document link's collection URLs reach its document only, and no folder."""
    folders, docs = tree
    link = make_link(docs["inside"], [ALICE], role="edit")
    client = Client()
    verify(client, link, ALICE)
    assert client.get(url("download", link)).status_code == 200
    assert _document_answers(client, link, docs["in_sub"]) == [404] * 4
    for folder in (folders["shared"], folders["sub"]):
        assert client.get(url("folder", link, folder.pk)).status_code == 404
        assert client.get(url("folder_zip", link, folder.pk)).status_code == 404
    assert client.get(url("zip", link)).status_code == 404


def test_a_page_link_reaches_no_document_and_no_folder(tree, page_link):
    """S11 on a page preview: its token reaches the page and nothing of the documents,
    however real their ids; no upload lands anywhere."""
    folders, docs = tree
    client = Client()
    verify(client, page_link, ALICE)
    assert PREVIEW_MARK in client.get(landing_url(page_link)).content
    for document in docs.values():
        answers = _document_answers(client, page_link, document)
        assert all(400 <= status < 500 for status in answers), answers
    for folder in folders.values():
        for name in ("folder", "folder_zip"):
            response = client.get(url(name, page_link, folder.pk))
            assert 400 <= response.status_code < 500, (name, response.status_code)
    for name in ("download", "view_file", "zip"):
        response = client.get(url(name, page_link))
        assert 400 <= response.status_code < 500, (name, response.status_code)
        assert not response.has_header("Content-Disposition")
    count = get_document_model().objects.count()
    upload = client.post(
        url("upload", page_link),
        {"file": SimpleUploadedFile("new.txt", b"dropped"), "title": "Dropped"},
    )
    assert 400 <= upload.status_code < 500
    assert get_document_model().objects.count() == count


# -- Wagtail's own serve view -----------------------------------------------------------


def _wagtail_url(document):
    return reverse("wagtaildocs_serve", args=[document.pk, document.filename])


def test_a_link_does_not_open_wagtails_own_url_to_a_private_collection(tree):
    """S11: with the collection restricted (docs/security.md, "Keeping shared files
    private"), Wagtail's ``/documents/<id>/<file>`` stays closed to an anonymous visitor
    who holds a verified link, while the link serves the same file."""
    folders, docs = tree
    restriction = CollectionViewRestriction.objects.create(
        collection=folders["shared"],
        restriction_type=CollectionViewRestriction.GROUPS,
    )
    restriction.groups.add(Group.objects.get_or_create(name="Staff only")[0])
    link, client = _verified_link(tree)
    for document in (docs["inside"], docs["in_sub"]):
        wagtail = client.get(_wagtail_url(document))
        assert wagtail.status_code in (302, 403), wagtail.status_code
        assert b"inside" not in getattr(wagtail, "content", b"")
        served = client.get(url("collection_download", link, document.pk))
        assert served.status_code == 200
    assert Client().get(_wagtail_url(docs["inside"])).status_code in (302, 403)


def test_wagtails_url_is_no_way_around_a_link_to_a_public_collection(tree):
    """S11 with S16: a link for specific people makes the document private, so Wagtail's
    URL no longer serves it to the public; an ``anyone`` link leaves it public."""
    _folders, docs = tree
    make_link(docs["in_sibling"], audience="anyone")
    assert Client().get(_wagtail_url(docs["in_sibling"])).status_code == 200
    make_link(docs["inside"], [ALICE])
    assert Client().get(_wagtail_url(docs["inside"])).status_code == 404
