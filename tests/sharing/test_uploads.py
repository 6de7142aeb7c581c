"""uploads.py: visitor uploads through ``upload`` and ``edit`` links (SPEC §2, §4)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.documents import get_document_model

from tests.factories import make_link
from tests.helpers import ALICE, landing_url, verified, visitor_url
from wagtail_securelink.core.storage import private_storage
from wagtail_securelink.models import AccessEvent, DocumentVersion, SecureLinkPolicy

pytestmark = pytest.mark.django_db


def test_upload_role_is_a_file_request(client, tree):
    root, _sub, _other, docs = tree
    link = make_link(root, [ALICE], role="upload")
    verified(client, link)
    page = client.get(landing_url(link)).content.decode()
    assert "Plan" not in page and "Upload a file" in page
    assert (
        client.get(
            visitor_url("collection_document", link, docs["plan"].pk)
        ).status_code
        == 403
    )
    assert (
        client.get(
            visitor_url("collection_download", link, docs["plan"].pk)
        ).status_code
        == 403
    )
    response = client.post(
        visitor_url("upload", link),
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
        visitor_url("folder_upload", link, sub.pk),
        {"file": SimpleUploadedFile("extra.txt", b"extra")},
    )
    assert response.status_code == 303
    assert get_document_model().objects.get(title="extra").collection_id == sub.pk
    old_name = docs["notes"].file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            visitor_url("collection_replace", link, docs["notes"].pk),
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
    with private_storage().open(version.file_name) as kept:
        assert kept.read() == b"notes"


def test_bad_uploads_get_a_clear_message_and_leave_nothing(client, tree, settings):
    root, _sub, _other, _docs = tree
    settings.WAGTAILDOCS_EXTENSIONS = ["pdf", "txt"]
    link = make_link(root, [ALICE], role="upload")
    verified(client, link)
    count = get_document_model().objects.count()
    response = client.post(
        visitor_url("upload", link), {"file": SimpleUploadedFile("evil.exe", b"MZ")}
    )
    assert response.status_code == 400
    assert (
        b"not allowed" in response.content.lower()
        or b"extension" in response.content.lower()
    )
    response = client.post(visitor_url("upload", link), {})
    assert response.status_code == 400
    policy = SecureLinkPolicy.load()
    policy.upload_max_mb = 1
    policy.save()
    response = client.post(
        visitor_url("upload", link),
        {"file": SimpleUploadedFile("big.pdf", b"x" * (1024 * 1024 + 1))},
    )
    assert response.status_code == 400
    assert b"too big" in response.content
    assert get_document_model().objects.count() == count


SEEN: list[dict] = []


def recording_scanner(uploaded_file, context):
    """Reads the whole file (the upload must still be saved whole) and keeps the context."""
    SEEN.append({"bytes": uploaded_file.read(), **context})


def crashing_scanner(uploaded_file, context):
    raise ConnectionError("the virus scanner is down")


def test_the_scanner_sees_the_file_and_who_sent_it_then_the_file_is_saved_whole(
    client, tree, settings
):
    root, _sub, _other, _docs = tree
    settings.WAGTAIL_SECURELINK_UPLOAD_SCANNER = (
        "tests.sharing.test_uploads.recording_scanner"
    )
    SEEN.clear()
    link = make_link(root, [ALICE], role="upload")
    verified(client, link)
    response = client.post(
        visitor_url("upload", link),
        {"file": SimpleUploadedFile("signed_copy.pdf", b"%PDF-signed")},
    )
    assert response.status_code == 303
    [seen] = SEEN
    assert seen["bytes"] == b"%PDF-signed"
    assert (seen["link"], seen["collection"], seen["uploaded_by"]) == (
        link,
        root,
        ALICE,
    )
    saved = get_document_model().objects.get(title="signed copy")
    assert saved.file.read() == b"%PDF-signed"  # read from the start, after the scan


def test_a_scanner_that_fails_refuses_the_file_and_nothing_is_kept(
    client, tree, settings
):
    root, _sub, _other, _docs = tree
    settings.WAGTAIL_SECURELINK_UPLOAD_SCANNER = (
        "tests.sharing.test_uploads.crashing_scanner"
    )
    link = make_link(root, [ALICE], role="upload")
    verified(client, link)
    count = get_document_model().objects.count()
    response = client.post(
        visitor_url("upload", link),
        {"file": SimpleUploadedFile("unchecked.pdf", b"%PDF-unchecked")},
    )
    assert response.status_code == 400
    assert b"could not be checked" in response.content
    assert get_document_model().objects.count() == count
    assert not AccessEvent.objects.filter(event="uploaded").exists()
