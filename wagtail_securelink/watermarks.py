"""Per-visitor watermarks burned into rendered pages (issue 16).

The base render of a page is cached once per document version (``rendering``); the
watermark is drawn on it for each request: the viewer's address (or "anyone link"),
the date and a short id of the link, repeated diagonally over the page, in a light
grey that leaves the page readable. Drawing a line costs a few milliseconds: the text
is rasterised once per request into a small mask, rotated, and pasted several times.
"""

import functools
import io

from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

__all__ = ["watermark_text", "short_link_id", "stamp_image"]

JPEG_QUALITY = 82
_INK = (150, 150, 150)


def short_link_id(link) -> str:
    """Eight characters naming the link in the audit trail; not its key, not its token."""
    return f"L{link.pk:07d}"


def watermark_text(link, access) -> str:
    if access.recipient is not None:
        who = access.recipient.email
    elif access.user is not None:
        who = getattr(access.user, "email", "") or access.user.get_username()
    else:
        who = _("anyone link")
    today = timezone.localdate().isoformat()
    return f"{who} · {today} · {short_link_id(link)}"


@functools.lru_cache(maxsize=8)
def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType: the bitmap font, one size
        return ImageFont.load_default()


def _mask(text: str, size: int) -> Image.Image:
    font = _font(size)
    left, top, right, bottom = font.getbbox(text)
    mask = Image.new("L", (right - left + 8, bottom - top + 8), 0)
    ImageDraw.Draw(mask).text((4 - left, 4 - top), text, fill=255, font=font)
    return mask.rotate(30, expand=True, resample=Image.Resampling.BILINEAR)


def stamp_image(jpeg: bytes, text: str) -> bytes:
    """``jpeg`` with ``text`` burned in, diagonally, across the whole page."""
    image = Image.open(io.BytesIO(jpeg))
    image.load()
    if image.mode != "RGB":
        image = image.convert("RGB")
    size = max(12, image.width // 40)
    mask = _mask(text, size)
    ink = Image.new("RGB", mask.size, _INK)
    step_y = max(mask.height + size * 2, image.height // 4)
    step_x = max(mask.width + size * 2, 1)
    # Offset every other row so that cropping a strip never removes every copy.
    for row, y in enumerate(range(-mask.height // 2, image.height, step_y)):
        for x in range(-(row % 2) * step_x // 2, image.width, step_x):
            image.paste(ink, (x, y), mask)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()
