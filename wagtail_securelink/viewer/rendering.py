"""Pages of a document rendered on the server for view-only links.

A view-only visitor never receives the original file: a PDF is shown one page at a
time as a JPEG rendered by PDFium (pypdfium2), an image as a JPEG re-encoded from its
pixels (Pillow). The rendering runs in a child process (``render_worker``) with a CPU
time limit, an address-space limit and a wall-clock timeout, because an uploaded file is
untrusted input. Renders are kept in the package's private storage (``core.storage``)
under a key of the document's current file (its hash), so a new version is rendered
afresh; the renders of earlier files are deleted when the document is saved
(``forget_renders``).
"""

import hashlib
import json
import logging
import os
import shutil
import subprocess  # nosec B404 - runs our own worker script, no shell, fixed arguments
import sys
import tempfile
import time
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction

from wagtail_securelink.conf import settings
from wagtail_securelink.core.storage import private_storage
from wagtail_securelink.viewer import worker as render_worker

__all__ = [
    "ZOOMS",
    "DEFAULT_ZOOM",
    "RenderedPage",
    "RenderFailed",
    "render_kind",
    "version_key",
    "cached_page",
    "get_page",
    "longest_render",
    "forget_renders",
    "stamped_pdf",
    "on_document_saved",
    "on_document_deleted",
]

logger = logging.getLogger(__name__)

RENDERS_DIR = "securelink_renders"
ZOOMS = (50, 75, 100, 150, 200)
DEFAULT_ZOOM = 100
# At 100 % a page is rendered at 1.5 pixels per PDF point (108 dpi): sharp on a
# laptop screen, about 900 × 1200 pixels for A4.
_SCALE_AT_100 = 1.5

_PDF_TYPES = {"application/pdf"}
_IMAGE_TYPES = {
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/bmp",
    "image/tiff",
}


@dataclass
class RenderedPage:
    number: int  # from 1
    pages: int
    image: bytes
    text: str
    width: int
    height: int


class RenderFailed(Exception):
    """The file could not be rendered. ``reason``: "unreadable", "too_big" (the
    memory limit), "timeout", "no_such_page" or "unsupported"."""

    def __init__(self, reason: str, pages: int = 0):
        super().__init__(reason)
        self.reason = reason
        self.pages = pages


def render_kind(document) -> str:
    """ "pdf", "image", or "" when this type cannot be rendered."""
    content_type = (document.content_type or "").split(";")[0].strip().lower()
    if content_type in _PDF_TYPES:
        return "pdf"
    if content_type in _IMAGE_TYPES:
        return "image"
    return ""


def version_key(document) -> str:
    """Names the document's current file: its hash, or its storage name and size."""
    source = document.file_hash or f"{document.file.name}:{document.file_size}"
    return hashlib.sha256(source.encode()).hexdigest()[:24]


def _folder(document) -> str:
    return f"{RENDERS_DIR}/{document.pk}/{version_key(document)}"


def _read(name: str) -> bytes | None:
    try:
        with private_storage().open(name, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, OSError):
        return None


def _write(name: str, data: bytes) -> None:
    storage = private_storage()
    if storage.exists(name):
        storage.delete(name)
    storage.save(name, ContentFile(data))


def _cached(document, number: int, zoom: int) -> RenderedPage | None:
    base = f"{_folder(document)}/z{zoom}-p{number}"
    meta = _read(base + ".json")
    if meta is None:
        return None
    meta = json.loads(meta)
    image = _read(base + ".jpg")
    if image is None:
        return None
    return RenderedPage(
        number, meta["pages"], image, meta["text"], meta["width"], meta["height"]
    )


# A render stopped by the limits (too slow, too big) is remembered for this long, for
# the same file and the same limits: one hard PDF then costs the site one worker's
# time limit an hour, not one per page request. "unreadable" is remembered for good
# (the same file never becomes readable); a new version of the file, or other limits
# in the settings, are tried afresh.
LIMIT_FAILURE_SECONDS = 3600


def _known_failure(document) -> str:
    data = _read(f"{_folder(document)}/failed.json")
    if not data:
        return ""
    try:
        failure = json.loads(data)
    except ValueError:
        return ""
    reason = failure.get("reason", "")
    if reason == "unreadable":
        return reason
    recent = time.time() - failure.get("at", 0) < LIMIT_FAILURE_SECONDS
    return reason if recent and failure.get("limits") == list(_worker_limits()) else ""


def _remember_failure(document, reason: str) -> None:
    record = {"reason": reason, "at": time.time(), "limits": list(_worker_limits())}
    _write(f"{_folder(document)}/failed.json", json.dumps(record).encode())


def _worker_limits():
    return (
        int(settings.RENDER_MEMORY_MB) * 1024 * 1024,
        max(1, int(settings.RENDER_TIMEOUT_SECONDS)),
    )


def longest_render() -> int:
    """Seconds a render may take at most: the worker's wall-clock timeout, a little
    past its CPU limit."""
    return _worker_limits()[1] + 2


def _run_worker(kind: str, path: str, index: int, scale: float, *extra: str):
    memory, seconds = _worker_limits()
    command = [
        sys.executable,
        "-I",  # isolated: no PYTHONPATH, no user site, no current directory
        render_worker.__file__,
        kind,
        path,
        str(index),
        str(scale),
        str(memory),
        str(seconds),
        *extra,
    ]
    try:
        done = subprocess.run(  # noqa: S603  # nosec B603 - fixed arguments, no shell
            command,
            capture_output=True,
            timeout=longest_render(),
            env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8"},
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RenderFailed("timeout") from None
    header, _, image = done.stdout.partition(b"\n")
    try:
        meta = json.loads(header or b"{}")
    except ValueError:
        meta = {}
    if done.returncode != 0 or "pages" not in meta and "error" not in meta:
        if meta.get("error") == "unreadable":
            raise RenderFailed("unreadable")
        # Killed by the limits (SIGKILL at the CPU limit, MemoryError or a failed
        # allocation under the address-space limit) or a crash of the renderer.
        logger.warning(
            "Rendering stopped (exit %s): %s",
            done.returncode,
            done.stderr[-500:].decode("utf-8", "replace"),
        )
        raise RenderFailed("too_big")
    if meta.get("error"):
        raise RenderFailed(meta["error"], meta.get("pages", 0))
    return meta, image


def _local_path(document):
    """The file's path, copying it to a temporary file for a remote storage."""
    try:
        path = document.file.path
        if os.path.exists(path):
            return path, None
    except NotImplementedError:
        pass
    handle = tempfile.NamedTemporaryFile(delete=False, suffix=".bin")
    with handle, document.file.storage.open(document.file.name, "rb") as source:
        shutil.copyfileobj(source, handle)
    return handle.name, handle.name


def cached_page(document, number: int, zoom: int = DEFAULT_ZOOM) -> RenderedPage | None:
    """Page ``number`` of ``document`` at ``zoom`` % if it is rendered already, without
    rendering it: ``None`` when it must be rendered. Raises ``RenderFailed`` for a type
    that cannot be rendered and for a failure remembered for this file."""
    if not render_kind(document):
        raise RenderFailed("unsupported")
    page = _cached(document, number, zoom if zoom in ZOOMS else DEFAULT_ZOOM)
    if page is not None:
        return page
    known = _known_failure(document)
    if known:
        raise RenderFailed(known)
    return None


def get_page(document, number: int, zoom: int = DEFAULT_ZOOM) -> RenderedPage:
    """Page ``number`` (from 1) of ``document`` at ``zoom`` %, from the cache or
    rendered now. Raises ``RenderFailed``.

    Rendering here has no bound but the worker's limits: visitors' requests go through
    ``serving.renders``, which renders a page once at a time and within each link's
    and client network's budget."""
    page = cached_page(document, number, zoom)
    if page is not None:
        return page
    kind = render_kind(document)
    zoom = zoom if zoom in ZOOMS else DEFAULT_ZOOM
    path, temporary = _local_path(document)
    try:
        meta, image = _run_worker(kind, path, number - 1, _SCALE_AT_100 * zoom / 100)
    except RenderFailed as failure:
        if failure.reason in ("unreadable", "timeout", "too_big"):
            _remember_failure(document, failure.reason)
        raise
    finally:
        if temporary:
            os.unlink(temporary)
    base = f"{_folder(document)}/z{zoom}-p{number}"
    _write(base + ".jpg", image)
    _write(
        base + ".json",
        json.dumps({k: meta[k] for k in ("pages", "text", "width", "height")}).encode(),
    )
    return RenderedPage(
        number, meta["pages"], image, meta["text"], meta["width"], meta["height"]
    )


def stamped_pdf(document, text: str) -> bytes:
    """The document's PDF with ``text`` stamped on every page, made by the worker
    under the same limits. Raises ``RenderFailed``: the file is then not sent."""
    path, temporary = _local_path(document)
    try:
        _meta, data = _run_worker("stamp", path, 0, 0, text)
    finally:
        if temporary:
            os.unlink(temporary)
    return data


def forget_renders(document, *, keep_current: bool = True) -> None:
    """Delete the renders of ``document``'s earlier files (all of them when
    ``keep_current`` is false): a new version is never shown from an old render."""
    root = f"{RENDERS_DIR}/{document.pk}"
    current = version_key(document) if keep_current else None
    storage = private_storage()
    try:
        folders, _files = storage.listdir(root)
    except (FileNotFoundError, NotImplementedError, OSError):
        return
    for folder in folders:
        if folder == current:
            continue
        try:
            _subfolders, files = storage.listdir(f"{root}/{folder}")
        except (FileNotFoundError, OSError):
            continue
        for name in files:
            storage.delete(f"{root}/{folder}/{name}")


def on_document_saved(sender, instance, created=False, **kwargs) -> None:
    """``post_save`` of the document model: a new file leaves its old renders behind."""
    if not created:
        transaction.on_commit(lambda: forget_renders(instance))


def on_document_deleted(sender, instance, **kwargs) -> None:
    transaction.on_commit(lambda: forget_renders(instance, keep_current=False))
