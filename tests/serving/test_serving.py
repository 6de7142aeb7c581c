"""Serving files to verified visitors: Range requests, hand-off, signed redirects (SPEC §8)."""

import os
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from wagtail.utils.sendfile import _get_sendfile

from tests.factories import PDF_CONTENT, make_collection, make_document, make_link
from tests.helpers import download_url, view_url
from wagtail_securelink import services
from wagtail_securelink.serving import files as serving
from wagtail_securelink.verification import grants

ALICE = "alice@example.com"
CONTENT = bytes(range(256)) * 40  # 10,240 bytes, every offset tells where it is


# -- through the views ------------------------------------------------------------------


def grant_access(client, link, email=ALICE):
    """Give ``client`` a grant cookie, as verifying a code would (services.open_grant)."""
    recipient = link.recipients.get(email=email) if email else None
    _grant, value = services.open_grant(
        link, RequestFactory().get("/"), recipient=recipient
    )
    client.cookies[grants.cookie_name(link, False)] = value


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def document(db):
    return make_document(title="Data", filename="data.bin", content=CONTENT)


@pytest.fixture
def link(document):
    return make_link(document, [ALICE])


@pytest.fixture
def verified(client, link):
    grant_access(client, link)
    return client


def test_full_download_advertises_ranges_and_validators(verified, link):
    response = verified.get(download_url(link))
    assert response.status_code == 200
    assert body(response) == CONTENT
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(CONTENT))
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"]
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == 'attachment; filename="data.bin"'
    assert "Content-Encoding" not in response


def test_range_gives_206_with_content_range(verified, link):
    response = verified.get(download_url(link), headers={"Range": "bytes=100-199"})
    assert response.status_code == 206
    assert body(response) == CONTENT[100:200]
    assert response["Content-Range"] == f"bytes 100-199/{len(CONTENT)}"
    assert response["Content-Length"] == "100"
    # Still every S10 header and the attachment disposition.
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'attachment; filename="data.bin"'


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=10000-", 10000, 10239), ("bytes=-40", 10200, 10239)],
)
def test_open_and_suffix_ranges(verified, link, header, start, end):
    response = verified.get(download_url(link), headers={"Range": header})
    assert response.status_code == 206
    assert body(response) == CONTENT[start : end + 1]
    assert response["Content-Range"] == f"bytes {start}-{end}/{len(CONTENT)}"


def test_range_past_the_end_gives_416(verified, link):
    response = verified.get(download_url(link), headers={"Range": "bytes=20000-"})
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(CONTENT)}"
    assert response["Cache-Control"] == "private, no-store"
    assert "Content-Disposition" not in response


@pytest.mark.parametrize("header", ["bytes=0-9,20-29", "bytes=oops", "lines=1-2"])
def test_ranges_we_do_not_serve_give_the_whole_file(verified, link, header):
    response = verified.get(download_url(link), headers={"Range": header})
    assert response.status_code == 200
    assert body(response) == CONTENT


def test_if_range_resumes_only_the_same_version(verified, link, document):
    first = verified.get(download_url(link))
    body(first)
    etag, modified = first["ETag"], first["Last-Modified"]

    for validator in (etag, modified):
        response = verified.get(
            download_url(link),
            headers={"Range": "bytes=5000-", "If-Range": validator},
        )
        assert response.status_code == 206
        assert body(response) == CONTENT[5000:]

    # A new version of the file: the old validators now get the whole new file.
    new_content = CONTENT[::-1] + b"more"
    with open(document.file.path, "wb") as handle:
        handle.write(new_content)
    os.utime(document.file.path, ns=(0, 2_000_000_000 * 10**9))
    for validator in (etag, modified):
        response = verified.get(
            download_url(link),
            headers={"Range": "bytes=5000-", "If-Range": validator},
        )
        assert response.status_code == 200
        assert body(response) == new_content


def test_if_none_match_gives_304(verified, link):
    etag = verified.get(download_url(link))["ETag"]
    response = verified.get(download_url(link), headers={"If-None-Match": etag})
    assert response.status_code == 304


def test_range_on_inline_view(verified, db):
    document = make_document(title="Paper", filename="paper.pdf")
    link = make_link(document, [ALICE])
    grant_access(verified, link)
    response = verified.get(view_url(link), headers={"Range": "bytes=0-7"})
    assert response.status_code == 206
    assert body(response) == PDF_CONTENT[:8]
    assert response["Content-Disposition"].startswith("inline")
    assert "sandbox" in response["Content-Security-Policy"]


def test_range_on_a_collection_document(client, db):
    folder = make_collection("Shared")
    document = make_document(filename="in.bin", content=CONTENT, collection=folder)
    link = make_link(folder, [ALICE])
    grant_access(client, link)
    url = reverse(
        "wagtail_securelink:collection_download", args=[link.token, document.pk]
    )
    response = client.get(url, headers={"Range": "bytes=1-2"})
    assert response.status_code == 206
    assert body(response) == CONTENT[1:3]


def test_resume_of_a_multi_gigabyte_file(verified, link, document):
    size = 5 * 1024**3 + 7
    with open(document.file.path, "r+b") as handle:
        handle.truncate(size)  # sparse: takes no disk space
        handle.seek(size - 4)
        handle.write(b"TAIL")
    response = verified.get(
        download_url(link), headers={"Range": f"bytes={size - 10}-"}
    )
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {size - 10}-{size - 1}/{size}"
    assert response["Content-Length"] == "10"
    assert body(response) == b"\0" * 6 + b"TAIL"


def test_no_range_without_access(client, link):
    response = client.get(download_url(link), headers={"Range": "bytes=0-9"})
    assert response.status_code == 302
    assert "Content-Range" not in response


def test_no_range_on_a_revoked_link(verified, link):
    services.revoke_link(link)
    response = verified.get(download_url(link), headers={"Range": "bytes=0-9"})
    assert response.status_code == 404
    assert "Content-Range" not in response


def test_compressed_file_is_not_labelled_content_encoding(client, db):
    document = make_document(filename="logs.tar.gz", content=b"\x1f\x8b" + CONTENT)
    link = make_link(document, [ALICE])
    grant_access(client, link)
    response = client.get(download_url(link))
    assert response.status_code == 200
    assert "Content-Encoding" not in response


class PathlessStorage(FileSystemStorage):
    """Like a cloud storage: no local path, no URL; files only through ``open``."""

    def path(self, name):
        raise NotImplementedError

    def url(self, name):
        raise NotImplementedError

    def _real(self, name):
        return os.path.join(self.location, name)

    def size(self, name):
        return os.path.getsize(self._real(name))

    def _open(self, name, mode="rb"):
        return File(open(self._real(name), mode))


def test_storage_without_paths_streams_ranges(verified, link, settings, monkeypatch):
    field = type(link.document)._meta.get_field("file")
    monkeypatch.setattr(field, "storage", PathlessStorage(location=settings.MEDIA_ROOT))
    settings.WAGTAILDOCS_SERVE_METHOD = "serve_view"
    response = verified.get(download_url(link), headers={"Range": "bytes=10-19"})
    assert response.status_code == 206
    assert body(response) == CONTENT[10:20]
    assert response["Content-Range"] == f"bytes 10-19/{len(CONTENT)}"
    assert verified.get(download_url(link))["Content-Length"] == str(len(CONTENT))


# -- hand-off to the web server -----------------------------------------------------------


def sendfile(request, filename, **kwargs):
    """A stand-in for an X-Accel-Redirect backend (``SENDFILE_BACKEND`` names this module)."""
    response = HttpResponse()
    response["X-Accel-Redirect"] = "/protected/" + os.path.basename(filename)
    return response


@pytest.fixture
def hand_off(settings):
    settings.SENDFILE_BACKEND = __name__
    _get_sendfile.clear()
    yield
    _get_sendfile.clear()


def test_hand_off_leaves_bytes_and_ranges_to_the_web_server(verified, link, hand_off):
    response = verified.get(download_url(link), headers={"Range": "bytes=0-9"})
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/protected/data.bin"
    assert response.content == b""
    assert "Content-Range" not in response  # the web server answers the range
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == 'attachment; filename="data.bin"'
    assert "Content-Encoding" not in response


def test_hand_off_only_after_every_check(client, link, hand_off):
    assert "X-Accel-Redirect" not in client.get(download_url(link))
    grant_access(client, link)
    services.revoke_link(link)
    assert "X-Accel-Redirect" not in client.get(download_url(link))


# -- redirect to storage: signed, short-lived URLs only ------------------------------------


class SigningStorage(FileSystemStorage):
    """Signs its URLs the way django-storages' S3 storage does (``expire=`` seconds)."""

    expires_seen = []

    def url(self, name, expire=None):
        self.expires_seen.append(expire)
        return (
            f"https://bucket.example.test/{name}?X-Amz-Expires={expire or 3600}"
            "&X-Amz-Signature=abc123"
        )


def test_redirect_goes_to_a_short_lived_signed_url(
    verified, link, settings, monkeypatch
):
    settings.WAGTAILDOCS_SERVE_METHOD = "redirect"
    field = type(link.document)._meta.get_field("file")
    monkeypatch.setattr(field, "storage", SigningStorage(location=settings.MEDIA_ROOT))
    SigningStorage.expires_seen.clear()
    response = verified.get(download_url(link))
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["X-Amz-Expires"] == [str(serving.SIGNED_URL_SECONDS)]
    assert SigningStorage.expires_seen == [serving.SIGNED_URL_SECONDS]
    assert response["Cache-Control"] == "private, no-store"


def test_redirect_never_exposes_a_permanent_url(verified, link, settings):
    """A storage whose URLs are plain (here MEDIA_URL) is streamed, not redirected to."""
    settings.WAGTAILDOCS_SERVE_METHOD = "redirect"
    response = verified.get(download_url(link))
    assert response.status_code == 200
    assert "Location" not in response
    assert body(response) == CONTENT


@pytest.mark.parametrize(
    ("url", "signed"),
    [
        ("https://b.s3.amazonaws.com/k?X-Amz-Signature=1&X-Amz-Expires=60", True),
        ("https://b.s3.amazonaws.com/k?Signature=1&Expires=1700000000", True),
        (
            "https://storage.googleapis.com/b/k?X-Goog-Signature=1&X-Goog-Expires=60",
            True,
        ),
        ("https://a.blob.core.windows.net/c/k?se=2030-01-01&sig=abc", True),
        ("https://b.s3.amazonaws.com/k", False),
        ("https://b.s3.amazonaws.com/k?X-Amz-Signature=1", False),  # no expiry
        ("/media/documents/k.pdf", False),
    ],
)
def test_what_counts_as_signed(url, signed):
    assert serving._is_signed(url) is signed
