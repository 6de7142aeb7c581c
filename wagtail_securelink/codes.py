"""One-time verification codes (S2, S3).

Each code is an HOTP value (pyotp) computed from a fresh secret. The secret is derived
from a 128-bit nonce drawn from ``secrets`` and the site's ``SECRET_KEY``, so the row
holds only the nonce and a keyed hash of the code: a database dump does not reveal any
code, and the task that emails a code needs only the row's id (no code ever sits in a
task queue). Codes are compared as keyed hashes with ``hmac.compare_digest``.
"""

import base64
import hmac
import re
import secrets

import pyotp
from django.utils.crypto import salted_hmac

__all__ = [
    "new_nonce",
    "derive_code",
    "hash_code",
    "is_well_formed",
    "matches",
    "clean_input",
]

_DERIVE_SALT = "wagtail_securelink.codes.derive"
_HASH_SALT = "wagtail_securelink.codes.hash"
# Only ASCII digits: ``[0-9]`` never matches full-width or other Unicode digits, unlike
# ``str.isdigit`` or ``\d``, and nothing is NFKC-folded as pyotp.utils.strings_equal would.
_ASCII_DIGITS = re.compile(r"[0-9]+")
# Visitors paste codes with spaces or a hyphen in the middle ("482 913"); drop ASCII ones only.
_SEPARATORS = re.compile(r"[ \t\-]")


def new_nonce() -> str:
    return secrets.token_hex(16)


def derive_code(nonce: str, digits: int) -> str:
    digest = salted_hmac(_DERIVE_SALT, nonce, algorithm="sha256").digest()
    secret = base64.b32encode(digest).decode("ascii").rstrip("=")
    return pyotp.HOTP(secret, digits=digits).at(0)


def hash_code(nonce: str, code: str) -> str:
    return salted_hmac(_HASH_SALT, f"{nonce}:{code}", algorithm="sha256").hexdigest()


def clean_input(value: str) -> str:
    return _SEPARATORS.sub("", value or "")


def is_well_formed(value: str, digits: int) -> bool:
    return len(value) == digits and bool(_ASCII_DIGITS.fullmatch(value))


def matches(nonce: str, stored_hash: str, submitted: str) -> bool:
    """Constant-time comparison of a submitted code against the stored keyed hash."""
    return hmac.compare_digest(hash_code(nonce, submitted), stored_hash)
