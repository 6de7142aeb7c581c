"""HTTP Range requests on link downloads (RFC 9110 §14, SPEC §8).

Wagtail's own serve view answers a Range request with the whole file, and Django's
``FileResponse`` does not do ranges either; the maintained Python implementations live
in other frameworks (Werkzeug, Starlette), and the Django packages that add them are
unmaintained. So this is a small implementation of the part that download managers and
browsers use to resume: one byte range, suffix ranges, ``416`` with ``Content-Range:
bytes */size``, and ``If-Range`` against a strong ETag or the exact Last-Modified date.

A request for several ranges gets the whole file with ``200``, which RFC 9110 allows
("a server MAY ignore the Range header field"): multipart/byteranges buys a visitor
nothing here and costs a parser.

On a local file the partial body keeps the file's descriptor, so gunicorn (and any WSGI
server with ``wsgi.file_wrapper``) still sends it with ``sendfile(2)`` from the range's
offset for the range's length.
"""

import io
from dataclasses import dataclass

from django.http import FileResponse, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, parse_http_date_safe

__all__ = [
    "ByteRange",
    "Unsatisfiable",
    "parse_range",
    "if_range_allows",
    "FileSlice",
    "file_response",
]

# Longer Range headers are not from a browser or a download manager: ignore them.
_MAX_HEADER = 200
BLOCK_SIZE = 64 * 1024


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive, as in Content-Range

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


class Unsatisfiable(Exception):
    """The range lies wholly past the end of the file: answer 416."""


def _digits(value: str) -> int | None:
    value = value.strip()
    # ASCII digits only: int() would also take "+1", "1_0" and full-width digits.
    if not value or not value.isascii() or not value.isdigit():
        return None
    return int(value)


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one byte range that ``header`` asks for in a file of ``size`` bytes.

    Returns ``None`` when the whole file should be sent: no header, another unit, a
    malformed header, several ranges, or a range that covers the whole file anyway.
    Raises ``Unsatisfiable`` when the range starts past the end of the file.
    """
    if not header or len(header) > _MAX_HEADER:
        return None
    unit, sep, spec = header.partition("=")
    if not sep or unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.partition("-")
    if not dash:
        return None
    if not first.strip():
        suffix = _digits(last)
        if suffix is None:
            return None
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        start, end = max(0, size - suffix), size - 1
    else:
        start = _digits(first)
        end = _digits(last) if last.strip() else start
        if start is None or end is None or end < start:
            return None
        if start >= size:
            raise Unsatisfiable
        end = min(end, size - 1) if last.strip() else size - 1
    if start == 0 and end == size - 1:
        return None
    return ByteRange(start, end)


def if_range_allows(request, etag: str | None, last_modified: float | None) -> bool:
    """Whether a Range request may be answered partially (RFC 9110 §13.1.5).

    Without ``If-Range`` it may. With one, only when the validator still names this
    very file: a strong ETag that matches exactly, or a date equal to Last-Modified.
    A weak ETag never matches, so a resumed download never mixes two versions.
    """
    value = request.headers.get("If-Range")
    if value is None:
        return True
    value = value.strip()
    if value.startswith(('"', "W/")):
        return etag is not None and not value.startswith("W/") and value == etag
    if last_modified is None:
        return False
    date = parse_http_date_safe(value)
    return date is not None and date == int(last_modified)


class FileSlice:
    """``length`` bytes of ``file`` from ``start``, as a file-like object.

    ``fileno()`` passes through only for a real local file (``local=True``), with the
    descriptor positioned at ``start``: gunicorn then ``sendfile``\\ s exactly
    Content-Length bytes from there, and other servers read through ``read()``.
    """

    def __init__(self, file, start: int, length: int, *, local: bool = False):
        self._file = file
        self._left = length
        self._local = local
        if start:
            try:
                file.seek(start)
            except (AttributeError, OSError, io.UnsupportedOperation):
                self._skip(start)

    def _skip(self, count: int) -> None:
        while count > 0:
            data = self._file.read(min(count, BLOCK_SIZE))
            if not data:
                break
            count -= len(data)

    def read(self, size: int | None = -1) -> bytes:
        if self._left <= 0:
            return b""
        if size is None or size < 0 or size > self._left:
            size = self._left
        data = self._file.read(size)
        self._left -= len(data)
        return data

    def fileno(self) -> int:
        if not self._local:
            raise io.UnsupportedOperation("not a local file")
        return self._file.fileno()

    def close(self) -> None:
        self._file.close()


class _FileResponse(FileResponse):
    # 4 KB (Django's default) makes the read() fallback needlessly slow on big files.
    block_size = BLOCK_SIZE


def file_response(
    request,
    open_file,
    *,
    size: int,
    content_type: str,
    etag: str | None = None,
    last_modified: float | None = None,
    local: bool = False,
):
    """A ``200``, ``206``, ``304``, ``412`` or ``416`` response for one file.

    ``open_file`` is called only when a body is sent; ``etag`` is a quoted strong
    entity tag and ``last_modified`` a timestamp, either may be ``None``.
    """
    not_modified = get_conditional_response(
        request, etag=etag, last_modified=last_modified and int(last_modified)
    )
    if not_modified is not None:
        return not_modified
    byte_range = None
    if "Range" in request.headers and if_range_allows(request, etag, last_modified):
        try:
            byte_range = parse_range(request.headers["Range"], size)
        except Unsatisfiable:
            response = HttpResponse(status=416, content_type="text/plain")
            response["Content-Range"] = f"bytes */{size}"
            response["Accept-Ranges"] = "bytes"
            return response
    if byte_range is None:
        response = _FileResponse(open_file(), content_type=content_type)
        response["Content-Length"] = size
    else:
        body = FileSlice(open_file(), byte_range.start, byte_range.length, local=local)
        response = _FileResponse(body, content_type=content_type, status=206)
        response["Content-Length"] = byte_range.length
        response["Content-Range"] = byte_range.content_range(size)
    response["Accept-Ranges"] = "bytes"
    if etag:
        response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    return response
