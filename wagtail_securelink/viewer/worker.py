"""The child process that renders one page of an untrusted file (view-only links).

Run as ``python -I render_worker.py KIND PATH PAGE SCALE MEMORY SECONDS`` by
``rendering.get_page`` only; it sets its own address-space and CPU limits
(``resource.setrlimit``) before it opens the file, and the parent kills it at a
wall-clock timeout. It imports neither Django nor the rest
of the app: nothing here can reach the database, the settings or the secrets.

Writes to stdout one line of JSON (``pages``, ``text``, ``width``, ``height``) then the
page as JPEG bytes. On a file it cannot read it writes ``{"error": "unreadable"}`` and
exits with status 2; on any other failure (memory, a crash of the renderer) the exit
status says so and the parent treats the file as unrenderable.
"""

import io
import json
import sys

# A page is never rendered larger than this many pixels, whatever its size in the
# file says: a PDF can declare a page of 200 × 200 inches.
MAX_PIXELS = 5_000_000
JPEG_QUALITY = 82
TEXT_CHARS = 100_000  # a page's text, for screen readers, is cut here


def _fit(width: float, height: float, scale: float) -> float:
    pixels = width * height * scale * scale
    if pixels > MAX_PIXELS:
        scale *= (MAX_PIXELS / pixels) ** 0.5
    return max(scale, 0.01)


def _jpeg(image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=False)
    return out.getvalue()


def _unreadable_errors(kind: str) -> tuple:
    """The exceptions that mean "this file is not a file of its type": remembered by
    the parent as permanent. Anything else (a failed import or allocation under the
    memory limit) is a failure of this run only."""
    if kind == "pdf":
        import pypdfium2 as pdfium

        return (pdfium.PdfiumError,)
    from PIL import Image, UnidentifiedImageError

    return (UnidentifiedImageError, Image.DecompressionBombError, SyntaxError, OSError)


def render_pdf(path: str, index: int, scale: float):
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        pages = len(pdf)
        if not 0 <= index < pages:
            return {"pages": pages, "error": "no_such_page"}, b""
        page = pdf[index]
        width, height = page.get_size()
        bitmap = page.render(scale=_fit(width, height, scale), may_draw_forms=False)
        image = bitmap.to_pil()
        textpage = page.get_textpage()
        text = textpage.get_text_range()[:TEXT_CHARS]
        return {
            "pages": pages,
            "text": text,
            "width": image.width,
            "height": image.height,
        }, _jpeg(image)
    finally:
        pdf.close()


def render_image(path: str, index: int, scale: float):
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = 50_000_000  # larger: DecompressionBombError, refused
    with Image.open(path) as source:
        if index != 0:
            return {"pages": 1, "error": "no_such_page"}, b""
        source.draft("RGB", (4000, 4000))  # JPEG: decode at a reduced size at once
        image = source.convert("RGBA" if "A" in source.getbands() else "RGB")
    # Re-encoded from pixels: no metadata, no EXIF, nothing of the original file.
    if image.mode == "RGBA":
        flat = Image.new("RGB", image.size, "white")
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    target = _fit(image.width, image.height, scale / 1.5)
    if target < 1:
        image = image.resize(
            (max(1, int(image.width * target)), max(1, int(image.height * target)))
        )
    return {"pages": 1, "text": "", "width": image.width, "height": image.height}, (
        _jpeg(image)
    )


def limit(memory_bytes: int, cpu_seconds: int) -> None:
    """Set before the file is opened: past them the kernel stops this process."""
    import os
    import resource

    # Below the web workers in the CPU queue: while a page renders, the site's other
    # requests are served first, on a machine with few cores too.
    os.nice(10)
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # writes no file


def _overlay(text: str, width: float, height: float) -> bytes:
    """A one-page PDF holding ``text`` diagonally, in grey, several times."""
    line = text.encode("latin-1", "replace").replace(b"\\", b"\\\\")
    line = line.replace(b"(", b"\\(").replace(b")", b"\\)")
    size = max(8, min(width, height) / 45)
    rows = []
    step = max(height / 5, size * 4)
    y = -height / 4
    while y < height:
        rows.append(
            b"1 0 0 1 0 0 cm BT /F1 %.1f Tf 0.866 0.5 -0.5 0.866 %.1f %.1f Tm (%s) Tj ET"
            % (size, width * 0.05, y, line)
        )
        y += step
    stream = b"q 0.55 g " + b" ".join(rows) + b" Q"
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 %.2f %.2f]/Resources<</Font<</F1 4 0 R>>>>/Contents 5 0 R>>"
        % (width, height),
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>",
        b"<</Length %d>>stream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 6\n0000000000 65535 f \n"
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size 6/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def stamp_pdf(path: str, text: str):
    """The PDF at ``path`` with ``text`` stamped over every page (pypdf)."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(path)
    writer = PdfWriter(clone_from=reader)
    overlays = {}
    for page in writer.pages:
        box = page.mediabox
        key = (round(float(box.width), 1), round(float(box.height), 1))
        if key not in overlays:
            overlays[key] = PdfReader(io.BytesIO(_overlay(text, *key))).pages[0]
        page.merge_translated_page(
            overlays[key], float(box.left), float(box.bottom), over=True
        )
    out = io.BytesIO()
    writer.write(out)
    return {"pages": len(writer.pages)}, out.getvalue()


def _peak_kb() -> int:
    """This process's peak resident memory in kB. Linux's ``VmHWM`` belongs to the
    address space made by ``exec``; ``ru_maxrss`` would also count the parent's size at
    ``fork`` (a web worker's, hundreds of MB), which this child never used."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(argv) -> int:
    kind, path, page, scale = argv[1], argv[2], int(argv[3]), float(argv[4])
    limit(int(argv[5]), int(argv[6]))
    if kind == "stamp":
        from pypdf.errors import PyPdfError

        unreadable = (PyPdfError, ValueError, KeyError, TypeError)
        renderer = lambda path, page, scale: stamp_pdf(path, argv[7])  # noqa: E731
    else:
        renderer = render_pdf if kind == "pdf" else render_image
        unreadable = _unreadable_errors(kind)
    try:
        meta, data = renderer(path, page, scale)
    except unreadable as exc:  # the file is unreadable: say so, quietly
        meta, data = {"error": "unreadable", "reason": type(exc).__name__}, b""
    meta["peak_kb"] = _peak_kb()
    sys.stdout.buffer.write(json.dumps(meta).encode() + b"\n" + data)
    sys.stdout.buffer.flush()
    return 2 if "error" in meta and meta["error"] == "unreadable" else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
