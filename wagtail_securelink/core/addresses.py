"""Email addresses: one canonical form, so that matching is an exact comparison (S7, S17);
lists of them as typed in a "To" box, and the end of a typed day."""

import datetime
import re
import string

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

__all__ = ["normalise_email", "split_addresses", "end_of_day"]

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def normalise_email(value: str) -> str:
    """Return the canonical form of an address, or raise ``ValidationError``.

    Only ASCII letters are lower-cased and the domain is IDNA-encoded: Unicode case
    mapping would let ``mıke@`` or a Kelvin sign collide with another address (the
    CVE-2019-19844 lesson). Matching is then an exact comparison of canonical forms,
    and mail always goes to the stored address, never to what a visitor typed.
    """
    value = (value or "").strip()
    invalid = ValidationError(_("Enter a valid email address."), code="invalid")
    if (
        not value
        or len(value) > 254
        or any(ord(ch) < 32 or ord(ch) == 127 for ch in value)
    ):
        raise invalid
    local, sep, domain = value.rpartition("@")
    if not sep or not local or not domain:
        raise invalid
    try:
        domain = domain.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise invalid from None
    address = f"{local.translate(_ASCII_LOWER)}@{domain}"
    validate_email(address)
    return address


# Commas, semicolons and any whitespace (newlines included) separate addresses, as in
# the "To" box of a mail client. An address cannot contain any of them unquoted.
_SEPARATORS = re.compile(r"[\s,;]+")


def split_addresses(text: str) -> list[str]:
    return [part for part in _SEPARATORS.split(text or "") if part]


def end_of_day(day: datetime.date | None) -> datetime.datetime | None:
    """The last microsecond of ``day`` in the active time zone."""
    if day is None:
        return None
    next_midnight = datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time.min
    )
    return timezone.make_aware(next_midnight) - datetime.timedelta(microseconds=1)
