"""ranges.py: Range and If-Range headers (RFC 9110 §14) and the file slice served
for a 206 (SPEC §8). Ranges through the download views: test_serving.py."""

import io
import os

import pytest
from django.test import RequestFactory
from django.utils.http import http_date

from wagtail_securelink.serving.ranges import (
    ByteRange,
    FileSlice,
    Unsatisfiable,
    if_range_allows,
    parse_range,
)

CONTENT = bytes(range(256)) * 40  # 10,240 bytes, every offset tells where it is


# -- parse_range ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", ByteRange(0, 99)),
        ("bytes=100-", ByteRange(100, 999)),
        ("bytes=-100", ByteRange(900, 999)),
        ("bytes=990-2000", ByteRange(990, 999)),  # the end is clipped to the file
        ("bytes=999-999", ByteRange(999, 999)),
        ("BYTES = 5-9", ByteRange(5, 9)),
        ("bytes=0-999", None),  # the whole file: a plain 200
        ("bytes=0-", None),
        ("bytes=-5000", None),  # a suffix longer than the file is the whole file
        ("", None),
        (None, None),
        ("items=0-9", None),  # another unit
        (
            "bytes=0-9,20-29",
            None,
        ),  # several ranges: the whole file (RFC 9110 allows it)
        ("bytes=9-0", None),  # malformed: ignored
        ("bytes=a-9", None),
        ("bytes=+1-9", None),
        ("bytes=1_0-20", None),
        ("bytes=１-9", None),  # full-width digit
        ("bytes=-", None),
        ("bytes=5", None),
        ("bytes=" + "9" * 300, None),  # absurdly long
    ],
)
def test_parse_range(header, expected):
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize(
    ("header", "size"),
    [
        ("bytes=1000-", 1000),
        ("bytes=1000-1005", 1000),
        ("bytes=-0", 1000),
        ("bytes=0-", 0),
    ],
)
def test_parse_range_unsatisfiable(header, size):
    with pytest.raises(Unsatisfiable):
        parse_range(header, size)


def test_content_range_of_a_multi_gigabyte_file():
    size = 5 * 1024**3
    byte_range = parse_range("bytes=4294967296-", size)
    assert byte_range.length == size - 4294967296
    assert byte_range.content_range(size) == f"bytes 4294967296-{size - 1}/{size}"


# -- If-Range ---------------------------------------------------------------------------

ETAG = '"5f-3e8"'
MTIME = 1_700_000_000


@pytest.mark.parametrize(
    ("if_range", "allowed"),
    [
        (None, True),
        (ETAG, True),
        ('"other"', False),
        ('W/"5f-3e8"', False),  # weak validators never allow a range
        (http_date(MTIME), True),
        (http_date(MTIME - 1), False),
        (http_date(MTIME + 1), False),
        ("not a date", False),
    ],
)
def test_if_range(if_range, allowed):
    headers = {} if if_range is None else {"If-Range": if_range}
    request = RequestFactory().get("/", headers=headers)
    assert if_range_allows(request, ETAG, MTIME) is allowed


def test_if_range_without_validators_never_allows():
    request = RequestFactory().get("/", headers={"If-Range": ETAG})
    assert if_range_allows(request, None, None) is False
    request = RequestFactory().get("/", headers={"If-Range": http_date(MTIME)})
    assert if_range_allows(request, None, None) is False


# -- FileSlice --------------------------------------------------------------------------


class _Unseekable(io.RawIOBase):
    def __init__(self, data):
        self._inner = io.BytesIO(data)

    def readable(self):
        return True

    def read(self, size=-1):
        return self._inner.read(size)

    def seek(self, *args):
        raise io.UnsupportedOperation("no seeking here")


def test_file_slice_reads_exactly_its_bytes():
    piece = FileSlice(io.BytesIO(CONTENT), 100, 50)
    assert piece.read(30) + piece.read(30) + piece.read() == CONTENT[100:150]
    assert piece.read() == b""


def test_file_slice_skips_forward_in_an_unseekable_file():
    piece = FileSlice(_Unseekable(CONTENT), 70_000 % len(CONTENT), 10)
    start = 70_000 % len(CONTENT)
    assert piece.read() == CONTENT[start : start + 10]


def test_file_slice_exposes_the_descriptor_of_local_files_only(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(CONTENT)
    with open(path, "rb") as handle:
        piece = FileSlice(handle, 1000, 10, local=True)
        # gunicorn sendfile()s Content-Length bytes from the descriptor's position.
        assert os.lseek(piece.fileno(), 0, os.SEEK_CUR) == 1000
    with pytest.raises(io.UnsupportedOperation):
        FileSlice(io.BytesIO(CONTENT), 0, 10).fileno()
