"""SPEC §2 ``edit``: a replaced file is never destroyed; editors download and restore
earlier versions from Manage access; only deleting the document removes them."""

from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.models import ModelLogEntry

from tests.factories import make_document, make_link, make_user
from tests.helpers import verify
from wagtail_securelink.core.storage import private_storage
from wagtail_securelink.models import AccessEvent, DocumentVersion

pytestmark = pytest.mark.django_db

ALICE = "alice@example.com"


def _replace(client, link, content, name="contract.txt"):
    return client.post(
        reverse("wagtail_securelink:replace", args=[link.token]),
        {"file": SimpleUploadedFile(name, content)},
    )


def _stored(name) -> bytes:
    with private_storage().open(name) as handle:
        return handle.read()


@pytest.fixture
def contract(legal):
    return make_document("Contract", "contract.txt", b"v1", collection=legal)


@pytest.fixture
def replaced(client, contract, django_capture_on_commit_callbacks):
    """The contract ("v1") replaced by Alice through an edit link with "v2"."""
    link = make_link(contract, [ALICE], role="edit")
    assert verify(client, link, ALICE).status_code == 303
    old_name = contract.file.name
    with django_capture_on_commit_callbacks(execute=True):
        assert _replace(client, link, b"v2").status_code == 303
    contract.refresh_from_db()
    return contract, link, old_name


def test_replace_keeps_the_old_file_as_a_version(replaced):
    document, link, old_name = replaced
    with document.open_file() as current:
        assert current.read() == b"v2"
    version = DocumentVersion.objects.get(document=document)
    assert _stored(version.file_name) == b"v1"
    assert version.file_name.startswith("securelink_versions/")
    assert (version.link, version.replaced_by_email) == (link, ALICE)
    assert version.original_name == old_name.rsplit("/", 1)[-1]
    assert version.file_size == len(b"v1")
    assert version.title == "Contract"
    # The old public name is gone: only editors reach the version.
    assert not document.file.storage.exists(old_name)


def test_a_failed_replace_leaves_nothing_behind(client, contract):
    link = make_link(contract, [ALICE], role="edit")
    verify(client, link, ALICE)
    before = set(_all_files())
    with mock.patch.object(
        DocumentVersion.objects, "create", side_effect=RuntimeError("db down")
    ):
        response = _replace(client, link, b"v2")
    assert response.status_code == 400
    assert b"could not be saved" in response.content
    contract.refresh_from_db()
    with contract.open_file() as current:
        assert current.read() == b"v1"
    assert not DocumentVersion.objects.exists()
    assert set(_all_files()) == before


def _all_files():
    """Every file of the documents' storage and of the private storage."""
    import os

    from django.conf import settings

    for top in (settings.MEDIA_ROOT, private_storage().path("")):
        for root, _dirs, files in os.walk(top):
            for name in files:
                yield os.path.join(root, name)


def test_manage_access_lists_versions_and_editors_download_them(
    client, replaced, editor
):
    document, _link, _old = replaced
    version = DocumentVersion.objects.get()
    client.force_login(editor)
    page = client.get(
        reverse("wagtail_securelink_admin:manage_document", args=[document.pk])
    )
    assert page.status_code == 200
    assert b"Earlier versions" in page.content
    assert ALICE.encode() in page.content
    response = client.get(
        reverse("wagtail_securelink_admin:download_version", args=[version.pk])
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"v1"
    assert "attachment" in response["Content-Disposition"]
    assert AccessEvent.objects.filter(
        event="version_downloaded", user=editor, detail__version=version.pk
    ).exists()
    assert ModelLogEntry.objects.filter(
        action="wagtail_securelink.version_download", object_id=str(document.pk)
    ).exists()


def test_versions_are_refused_to_users_who_may_not_change_the_document(
    client, replaced, finance
):
    version = DocumentVersion.objects.get()
    outsider = make_user(
        "outsider",
        perms=["wagtailadmin.access_admin", "wagtail_securelink.add_sharelink"],
        collection_perms=[(finance, "change_document")],
    )
    client.force_login(outsider)
    download = reverse("wagtail_securelink_admin:download_version", args=[version.pk])
    restore = reverse("wagtail_securelink_admin:restore_version", args=[version.pk])
    assert client.get(download).status_code == 403
    assert client.post(restore).status_code == 403
    assert not AccessEvent.objects.filter(event__startswith="version_").exists()


def test_restore_makes_the_current_file_a_version_and_destroys_nothing(
    client, replaced, editor, django_capture_on_commit_callbacks
):
    document, _link, _old = replaced
    first = DocumentVersion.objects.get()
    client.force_login(editor)
    restore = reverse("wagtail_securelink_admin:restore_version", args=[first.pk])
    assert client.get(restore).status_code == 405  # a GET changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(restore)
    assert response.status_code == 302
    document.refresh_from_db()
    with document.open_file() as current:
        assert current.read() == b"v1"
    assert document.file_size == len(b"v1")
    kept = DocumentVersion.objects.exclude(pk=first.pk).get()
    assert (kept.restored, kept.replaced_by_user) == (True, editor)
    assert _stored(kept.file_name) == b"v2"
    assert _stored(first.file_name) == b"v1"  # still listed, still there
    assert AccessEvent.objects.filter(event="version_restored", user=editor).exists()
    assert ModelLogEntry.objects.filter(
        action="wagtail_securelink.version_restore", object_id=str(document.pk)
    ).exists()


def test_collection_manage_access_lists_documents_replaced_through_its_links(
    client, legal, superuser, django_capture_on_commit_callbacks
):
    document = make_document("Notes", "notes.txt", b"n1", collection=legal)
    link = make_link(legal, [ALICE], role="edit")
    verify(client, link, ALICE)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse(
                "wagtail_securelink:collection_replace", args=[link.token, document.pk]
            ),
            {"file": SimpleUploadedFile("notes.txt", b"n2")},
        )
    client.force_login(superuser)
    page = client.get(
        reverse("wagtail_securelink_admin:manage_collection", args=[legal.pk])
    )
    assert b"Earlier versions" in page.content
    assert b"Notes" in page.content


def test_deleting_the_document_removes_its_versions_and_their_files(
    replaced, django_capture_on_commit_callbacks
):
    document, _link, _old = replaced
    name = DocumentVersion.objects.get().file_name
    assert private_storage().exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        get_document_model().objects.get(pk=document.pk).delete()
    assert not DocumentVersion.objects.exists()
    assert not private_storage().exists(name)
