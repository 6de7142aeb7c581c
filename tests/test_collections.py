"""Collection links (SPEC §4, S11): folders, search, sort, pagination, ZIP, scope at request time."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.documents import get_document_model

from tests.factories import make_collection, make_document, make_link
from tests.helpers import landing_url, verify
from wagtail_securelink import versions
from wagtail_securelink.models import AccessEvent, DocumentVersion, SecureLinkPolicy

pytestmark = pytest.mark.django_db
ALICE = "alice@example.com"


def url(name, link, *args):
    return reverse(f"wagtail_securelink:{name}", args=[link.token, *args])


@pytest.fixture
def tree():
    root = make_collection("Project")
    sub = make_collection("Drawings", parent=root)
    other = make_collection("Elsewhere")
    docs = {
        "plan": make_document("Plan", "plan.pdf", b"%PDF-plan", collection=root),
        "notes": make_document("Notes", "notes.txt", b"notes", collection=root),
        "drawing": make_document(
            "Drawing", "drawing.png", b"\x89PNG-drawing", collection=sub
        ),
        "secret": make_document("Secret", "secret.txt", b"secret", collection=other),
    }
    return root, sub, other, docs


def verified(client, link):
    assert verify(client, link, ALICE).status_code == 303
    return client


def test_folder_page_lists_documents_and_subfolders(client, tree):
    root, sub, _other, docs = tree
    link = make_link(root, [ALICE])
    page = verified(client, link).get(landing_url(link)).content.decode()
    assert "Plan" in page and "Notes" in page and "Drawings" in page
    assert "Drawing<" not in page  # in the subfolder, not at the top
    assert "Secret" not in page
    assert url("folder", link, sub.pk) in page
    sub_page = client.get(url("folder", link, sub.pk)).content.decode()
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
    assert client.get(url("folder", link, sub.pk)).status_code == 404
    assert (
        client.get(url("collection_download", link, docs["drawing"].pk)).status_code
        == 404
    )


def test_documents_outside_the_collection_are_unreachable(client, tree):
    root, _sub, _other, docs = tree
    link = make_link(root, [ALICE])
    verified(client, link)
    for name in ("collection_document", "collection_download", "collection_view_file"):
        assert client.get(url(name, link, docs["secret"].pk)).status_code == 404


def test_moving_a_document_out_makes_it_unreachable_on_the_next_request(client, tree):
    root, _sub, other, docs = tree
    link = make_link(root, [ALICE])
    verified(client, link)
    response = client.get(url("collection_download", link, docs["plan"].pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-plan"
    docs["plan"].collection = other
    docs["plan"].save()
    assert (
        client.get(url("collection_download", link, docs["plan"].pk)).status_code == 404
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


def test_zip_holds_every_document_in_scope(client, tree):
    root, _sub, _other, _docs = tree
    link = make_link(root, [ALICE])
    verified(client, link)
    response = client.get(url("zip", link))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == [
        "Drawings/drawing.png",
        "notes.txt",
        "plan.pdf",
    ]
    assert archive.read("Drawings/drawing.png") == b"\x89PNG-drawing"
    assert AccessEvent.objects.filter(event="downloaded", detail__zip=root.pk).exists()


def test_zip_above_the_cap_is_refused_with_a_clear_page(client, tree):
    root, _sub, _other, _docs = tree
    make_document("Big", "big.bin", b"x" * (1024 * 1024 + 1), collection=root)
    policy = SecureLinkPolicy.load()
    policy.zip_max_mb = 1
    policy.save()
    link = make_link(root, [ALICE])
    verified(client, link)
    response = client.get(url("zip", link))
    assert response.status_code == 403
    assert b"Too large to download at once" in response.content


def test_view_role_lists_but_does_not_download_or_zip(client, tree):
    root, _sub, _other, docs = tree
    link = make_link(root, [ALICE], role="view")
    verified(client, link)
    page = client.get(landing_url(link)).content.decode()
    assert "Download all" not in page
    assert client.get(url("zip", link)).status_code == 403
    assert (
        client.get(url("collection_download", link, docs["plan"].pk)).status_code == 403
    )
    # View-only never sends the file, inline either (issue 16): pages are rendered.
    assert (
        client.get(url("collection_view_file", link, docs["plan"].pk)).status_code
        == 403
    )


def test_upload_role_is_a_file_request(client, tree):
    root, _sub, _other, docs = tree
    link = make_link(root, [ALICE], role="upload")
    verified(client, link)
    page = client.get(landing_url(link)).content.decode()
    assert "Plan" not in page and "Upload a file" in page
    assert (
        client.get(url("collection_document", link, docs["plan"].pk)).status_code == 403
    )
    assert (
        client.get(url("collection_download", link, docs["plan"].pk)).status_code == 403
    )
    response = client.post(
        url("upload", link),
        {"file": SimpleUploadedFile("Answer_sheet.pdf", b"%PDF-answer")},
    )
    assert response.status_code == 303
    new = get_document_model().objects.get(title="Answer sheet")
    assert new.collection_id == root.pk
    assert new.file_size == len(b"%PDF-answer")
    event = AccessEvent.objects.get(event="uploaded")
    assert event.email == ALICE and event.detail["document"] == new.pk


def test_edit_role_uploads_new_documents_and_new_versions(
    client, tree, django_capture_on_commit_callbacks
):
    root, sub, _other, docs = tree
    link = make_link(root, [ALICE], role="edit")
    verified(client, link)
    response = client.post(
        url("folder_upload", link, sub.pk),
        {"file": SimpleUploadedFile("extra.txt", b"extra")},
    )
    assert response.status_code == 303
    assert get_document_model().objects.get(title="extra").collection_id == sub.pk
    old_name = docs["notes"].file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("collection_replace", link, docs["notes"].pk),
            {"file": SimpleUploadedFile("notes-v2.txt", b"v2")},
        )
    assert response.status_code == 303
    docs["notes"].refresh_from_db()
    assert docs["notes"].title == "Notes"
    assert docs["notes"].file.read() == b"v2"
    # The old file left its public name, and is kept as an earlier version (SPEC §2).
    assert not docs["notes"].file.storage.exists(old_name)
    version = DocumentVersion.objects.get(document=docs["notes"])
    assert (version.link, version.replaced_by_email) == (link, ALICE)
    with versions.storage().open(version.file_name) as kept:
        assert kept.read() == b"notes"


def test_bad_uploads_get_a_clear_message_and_leave_nothing(client, tree, settings):
    root, _sub, _other, _docs = tree
    settings.WAGTAILDOCS_EXTENSIONS = ["pdf", "txt"]
    link = make_link(root, [ALICE], role="upload")
    verified(client, link)
    count = get_document_model().objects.count()
    response = client.post(
        url("upload", link), {"file": SimpleUploadedFile("evil.exe", b"MZ")}
    )
    assert response.status_code == 400
    assert (
        b"not allowed" in response.content.lower()
        or b"extension" in response.content.lower()
    )
    response = client.post(url("upload", link), {})
    assert response.status_code == 400
    policy = SecureLinkPolicy.load()
    policy.upload_max_mb = 1
    policy.save()
    response = client.post(
        url("upload", link),
        {"file": SimpleUploadedFile("big.pdf", b"x" * (1024 * 1024 + 1))},
    )
    assert response.status_code == 400
    assert b"too big" in response.content
    assert get_document_model().objects.count() == count


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
