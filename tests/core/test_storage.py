"""The package's private files (core/storage.py): earlier versions and the unwatermarked
renders of view-only links are written to a storage of their own, outside MEDIA_ROOT,
never beside the documents where a web server may publish them.

The files are found on disk, not through the package's own look-up: what matters is
where the bytes land."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import make_document, make_link
from tests.helpers import ALICE, landing_url, verify, visitor_url
from tests.pdfs import MALFORMED_PDF, make_pdf

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8"


def files_under(root) -> dict[str, bytes]:
    """Every file below ``root``: its path relative to ``root``, its bytes."""
    root = Path(root)
    if not root.exists():
        return {}
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }


def private_location(settings) -> str:
    return settings.STORAGES["securelink"]["OPTIONS"]["location"]


def assert_media_holds_only(settings, document) -> None:
    """MEDIA_ROOT holds the document's current file and nothing of the package's."""
    media = files_under(settings.MEDIA_ROOT)
    assert list(media) == [document.file.name], media.keys()
    assert not [name for name in media if "securelink" in name]


def test_an_earlier_version_is_written_to_the_private_storage_only(
    client, settings, django_capture_on_commit_callbacks
):
    contract = make_document("Contract", "contract.txt", b"version one")
    link = make_link(contract, [ALICE], role="edit")
    assert verify(client, link, ALICE).status_code == 303
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            visitor_url("replace", link),
            {"file": SimpleUploadedFile("contract.txt", b"version two")},
        )
    assert response.status_code == 303
    contract.refresh_from_db()
    assert_media_holds_only(settings, contract)
    assert files_under(settings.MEDIA_ROOT)[contract.file.name] == b"version two"
    private = files_under(private_location(settings))
    assert list(private.values()) == [b"version one"]
    assert next(iter(private)).startswith("securelink_versions/")
    assert not Path(private_location(settings)).is_relative_to(settings.MEDIA_ROOT)


def test_the_renders_of_a_view_only_link_are_written_to_the_private_storage_only(
    client, settings
):
    document = make_document("Plan", "plan.pdf", make_pdf(2, "Plan"))
    link = make_link(document, [ALICE], role="view")
    assert verify(client, link, ALICE).status_code == 303
    assert "Plan 1" in client.get(landing_url(link)).content.decode()
    page = client.get(visitor_url("page_image", link, 2))
    assert page.status_code == 200
    assert_media_holds_only(settings, document)
    assert not [
        name
        for name, data in files_under(settings.MEDIA_ROOT).items()
        if data.startswith(JPEG)
    ]
    private = files_under(private_location(settings))
    renders = sorted(name for name in private if name.endswith(".jpg"))
    assert [name.rsplit("/", 1)[-1] for name in renders] == [
        "z100-p1.jpg",
        "z100-p2.jpg",
    ]
    assert all(
        name.startswith(f"securelink_renders/{document.pk}/") for name in renders
    )
    assert all(private[name].startswith(JPEG) for name in renders)


def test_a_file_that_cannot_be_rendered_is_remembered_in_the_private_storage(
    client, settings
):
    document = make_document("Broken", "broken.pdf", MALFORMED_PDF)
    link = make_link(document, [ALICE], role="view")
    verify(client, link, ALICE)
    client.get(landing_url(link))
    assert_media_holds_only(settings, document)
    notes = [n for n in files_under(private_location(settings)) if "failed" in n]
    assert len(notes) == 1 and notes[0].startswith("securelink_renders/")


def test_without_an_alias_the_files_go_beside_media_root_and_have_no_url(
    client, settings, tmp_path
):
    from wagtail_securelink.core.storage import (
        PrivateFileSystemStorage,
        private_storage,
    )

    settings.STORAGES = {
        name: config
        for name, config in settings.STORAGES.items()
        if name != "securelink"
    }
    storage = private_storage()
    assert isinstance(storage, PrivateFileSystemStorage)
    assert Path(storage.path("")) == tmp_path / "securelink_private"
    with pytest.raises(NotImplementedError):
        storage.url("securelink_renders/1/x/z100-p1.jpg")

    document = make_document("Plan", "plan.pdf", make_pdf(1, "Plan"))
    link = make_link(document, [ALICE], role="view")
    verify(client, link, ALICE)
    assert "Plan 1" in client.get(landing_url(link)).content.decode()
    assert_media_holds_only(settings, document)
    written = files_under(tmp_path / "securelink_private")
    assert [n for n in written if n.endswith("z100-p1.jpg")]


def test_a_storage_named_but_not_defined_is_refused(settings):
    from django.core.files.storage import InvalidStorageError

    from wagtail_securelink.core.storage import private_storage

    settings.WAGTAIL_SECURELINK_STORAGE = "private-bucket"
    # Not silently the disk of one app host: every host must see the same files.
    with pytest.raises(InvalidStorageError):
        private_storage()


def test_a_private_file_system_storage_without_location_is_not_media_root(
    settings, tmp_path
):
    from wagtail_securelink.core.storage import PrivateFileSystemStorage

    assert Path(PrivateFileSystemStorage().path("")) == tmp_path / "securelink_private"
