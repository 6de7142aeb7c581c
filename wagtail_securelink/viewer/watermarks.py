"""Per-visitor watermarks burned into rendered pages.

The base render of a page is cached once per document version (``rendering``); the
watermark is drawn on it for each request: the viewer's address (a signed-in user's
username, or "anyone link"),
the date and a short id of the link, repeated diagonally over the page, in a light
grey that leaves the page readable. The text is rasterised once per visitor, day and
page size into a page-sized mask (kept in a small per-process cache), so a page costs
a JPEG decode, one masked paste and a JPEG encode.
"""

import functools
import io

from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

from wagtail_securelink.conf import settings

__all__ = ["account_label", "watermark_text", "short_link_id", "stamp_image"]

JPEG_QUALITY = 82
_INK = (150, 150, 150)


def short_link_id(link) -> str:
    """Eight characters naming the link in the audit trail; not its key, not its token."""
    return f"L{link.pk:07d}"


def account_label(user) -> str:
    """What a page stamped for a signed-in user names: the account's username, which
    the site controls; its email address only where the site declares account
    addresses proven (S17). Otherwise a user who sets their own address to someone
    else's would have pages stamped with that person's name."""
    if settings.ACCOUNT_EMAILS_VERIFIED:
        email = getattr(user, user.get_email_field_name(), "") or ""
        if email:
            return email
    return user.get_username()


def watermark_text(link, access) -> str:
    if access.recipient is not None:
        who = access.recipient.email
    elif access.user is not None:
        who = account_label(access.user)
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


@functools.lru_cache(maxsize=16)
def _page_mask(text: str, width: int, height: int) -> Image.Image:
    """The whole page's watermark as one mask, made once per visitor, day and page
    size (a visitor's pages share it), so that a page costs a single paste."""
    size = max(12, width // 40)
    line = _mask(text, size)
    page = Image.new("L", (width, height), 0)
    step_y = max(line.height + size * 2, height // 4)
    step_x = max(line.width + size * 2, 1)
    # Offset every other row so that cropping a strip never removes every copy.
    for row, y in enumerate(range(-line.height // 2, height, step_y)):
        for x in range(-(row % 2) * step_x // 2, width, step_x):
            page.paste(line, (x, y), line)
    return page


def stamp_image(jpeg: bytes, text: str) -> bytes:
    """``jpeg`` with ``text`` burned in, diagonally, across the whole page."""
    image = Image.open(io.BytesIO(jpeg))
    image.load()
    if image.mode != "RGB":
        image = image.convert("RGB")
    image.paste(_INK, (0, 0, image.width, image.height), _page_mask(text, *image.size))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()
