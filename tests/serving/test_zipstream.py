"""zipstream.py: "Download all" of a collection link, a ZIP streamed while it is built
(SPEC §4)."""

import io
import zipfile

import pytest

from tests.factories import make_collection, make_document, make_link
from tests.helpers import ALICE, verified, visitor_url
from wagtail_securelink.models import AccessEvent, SecureLinkPolicy

pytestmark = pytest.mark.django_db


def test_zip_holds_every_document_in_scope(client, tree):
    root, _sub, _other, _docs = tree
    link = make_link(root, [ALICE])
    verified(client, link)
    response = client.get(visitor_url("zip", link))
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
    response = client.get(visitor_url("zip", link))
    assert response.status_code == 403
    assert b"Too large to download at once" in response.content


def test_names_in_the_archive_are_cleaned_and_unique(client, legal):
    # Two files whose names differ only in case, and a subfolder whose name holds
    # path separators: the archive has one entry each, and no path escapes its folder.
    make_document("Lower", "notes.txt", b"lower", collection=legal)
    make_document("Upper", "NOTES.txt", b"upper", collection=legal)
    odd = make_collection("../Q1/Q2: drafts", parent=legal)
    make_document("Draft", "draft.txt", b"draft", collection=odd)
    link = make_link(legal, [ALICE])
    verified(client, link)
    response = client.get(visitor_url("zip", link))
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = archive.namelist()
    assert sorted(names) == sorted(
        ["notes.txt", "NOTES (2).txt", "Q1Q2 drafts/draft.txt"]
    )
    assert {archive.read(name) for name in names} == {b"lower", b"upper", b"draft"}
    assert archive.testzip() is None


def test_a_document_larger_than_a_chunk_streams_in_pieces_and_arrives_whole(
    client, legal
):
    content = bytes(range(256)) * 4096  # 1 MiB: four of the writer's 256 KiB chunks
    make_document("Big", "big.bin", content, collection=legal)
    link = make_link(legal, [ALICE])
    verified(client, link)
    response = client.get(visitor_url("zip", link))
    assert response.streaming
    chunks = [chunk for chunk in response.streaming_content if chunk]
    assert len(chunks) > 4  # sent while it is built, not assembled in memory first
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.read("big.bin") == content
    assert archive.getinfo("big.bin").compress_type == zipfile.ZIP_STORED
