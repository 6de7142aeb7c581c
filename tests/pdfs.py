"""Real PDFs for the viewer tests and benchmarks, written by hand (no PDF writer needed)."""


def make_pdf(pages: int = 1, text: str = "Page", *, size=(595, 842)) -> bytes:
    """A well-formed PDF of ``pages`` A4 pages, page n showing "<text> n" in Helvetica."""
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        None,  # the page tree, once the kids are known
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    kids = []
    for number in range(1, pages + 1):
        line = f"{text} {number}".replace("\\", "\\\\").replace("(", "\\(")
        line = line.replace(")", "\\)")
        stream = f"BT /F1 24 Tf 72 720 Td ({line}) Tj ET".encode("latin-1")
        objects.append(b"<</Length %d>>stream\n%s\nendstream" % (len(stream), stream))
        content_id = len(objects)
        objects.append(
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 %d %d]"
            b"/Resources<</Font<</F1 3 0 R>>>>/Contents %d 0 R>>"
            % (size[0], size[1], content_id)
        )
        kids.append(len(objects))
    objects[1] = b"<</Type/Pages/Kids[%s]/Count %d>>" % (
        b" ".join(b"%d 0 R" % kid for kid in kids),
        pages,
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


# Starts like a PDF, then is not one.
MALFORMED_PDF = b"%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R" + b"\x00\xff" * 4000


def make_slow_pdf(
    pages: int = 3, depth: int = 5, fanout: int = 10, mark: str = ""
) -> bytes:
    """A PDF of about 3 kB whose every page takes the renderer minutes: form XObjects
    nested ``depth`` deep, each drawing the next ``fanout`` times, the last stroking
    50 lines across the page (``fanout ** (depth - 1) * 50`` strokes; 50,000 strokes,
    depth 4, already take PDFium about 10 s). ``mark`` makes another file of it."""
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        None,  # the page tree, once the pages' numbers are known
    ]
    first_form = len(objects) + 1
    for level in range(depth):
        if level == depth - 1:
            lines = (b"%d 0 m %d 842 l" % (i * 12, 595 - i * 12) for i in range(50))
            stream, resources = b" ".join(lines) + b" S", b""
        else:
            draws = (b"q 1 0 0 1 %d 0 cm /X Do Q" % i for i in range(fanout))
            stream = b" ".join(draws)
            resources = b"/Resources<</XObject<</X %d 0 R>>>>" % (
                first_form + level + 1
            )
        objects.append(
            b"<</Type/XObject/Subtype/Form/BBox[0 0 595 842]%s/Length %d>>stream\n"
            b"%s\nendstream" % (resources, len(stream), stream)
        )
    content = f"% {mark}\n/X Do".encode("latin-1")
    objects.append(b"<</Length %d>>stream\n%s\nendstream" % (len(content), content))
    content_id = len(objects)
    kids = []
    for _ in range(pages):
        objects.append(
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]"
            b"/Resources<</XObject<</X %d 0 R>>>>/Contents %d 0 R>>"
            % (first_form, content_id)
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<</Type/Pages/Kids[%s]/Count %d>>" % (b" ".join(kids), pages)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
