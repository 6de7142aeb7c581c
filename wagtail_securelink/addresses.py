"""Email addresses: one canonical form, so that matching is an exact comparison (S7, S17)."""

import string

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

__all__ = ["normalise_email"]

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
