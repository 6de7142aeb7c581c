"""Streaming ZIP of many documents, built while it is sent: constant memory whatever the size.

The standard library's ``zipfile`` writes to an unseekable stream (it then uses data
descriptors), so each chunk it produces is handed to the client at once. Entries are
stored, not deflated: documents are mostly compressed formats already, and storing keeps
the CPU cost near a plain file copy.
"""

import posixpath
import zipfile
from collections.abc import Iterable, Iterator

__all__ = ["zip_entries", "stream_zip"]

CHUNK = 256 * 1024


class _Sink:
    """A write-only buffer that ``zipfile`` sees as an unseekable file."""

    def __init__(self):
        self._chunks: list[bytes] = []

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def drain(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def _clean(part: str) -> str:
    part = "".join(ch for ch in part if ch.isprintable() and ch not in "/\\:")
    return part.strip(". ") or "_"


def zip_entries(documents, root, folders) -> list[tuple[str, object]]:
    """(archive name, document) pairs with folder paths below ``root`` and unique names.

    ``folders`` are the collections of the subtree (one query), walked by their
    materialised path rather than one query per level.
    """
    by_id = {folder.pk: folder for folder in folders}
    by_path = {folder.path: folder for folder in folders}
    seen = set()
    entries = []
    for document in documents:
        parts = []
        collection = by_id.get(document.collection_id)
        while collection is not None and collection.pk != root.pk:
            parts.append(_clean(collection.name))
            collection = by_path.get(collection.path[: -collection.steplen])
        parts.reverse()
        base = (
            posixpath.join(*parts, _clean(document.filename))
            if parts
            else _clean(document.filename)
        )
        name, n = base, 1
        stem, dot, ext = base.rpartition(".")
        while name.lower() in seen:
            n += 1
            name = f"{stem} ({n}).{ext}" if dot else f"{base} ({n})"
        seen.add(name.lower())
        entries.append((name, document))
    return entries


def stream_zip(entries: Iterable[tuple[str, object]]) -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(
        sink, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True
    ) as archive:
        for name, document in entries:
            created = document.created_at
            info = zipfile.ZipInfo(
                name,
                date_time=created.timetuple()[:6] if created else (1980, 1, 1, 0, 0, 0),
            )
            info.compress_type = zipfile.ZIP_STORED
            with (
                document.file.open("rb") as source,
                archive.open(info, mode="w", force_zip64=True) as target,
            ):
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                    yield sink.drain()
            yield sink.drain()
    yield sink.drain()
