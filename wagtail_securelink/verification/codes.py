"""One-time verification codes (S2, S3).

Each code is an HOTP value (pyotp) computed from a fresh secret. The secret is derived
from a 128-bit nonce drawn from ``secrets`` and the site's ``SECRET_KEY``, so the row
holds only the nonce and a keyed hash of the code: a database dump does not reveal any
code, and the task that emails a code needs only the row's id (no code ever sits in a
task queue). Codes are compared as keyed hashes with ``hmac.compare_digest``.

A code is derived and hashed under the same key. It is written under the current
``SECRET_KEY`` and found again under any key of ``SECRET_KEY_FALLBACKS`` (``code_for``,
``matches``), so a code asked for just before a key rotation still works after it.
"""

import base64
import hmac
import re
import secrets

import pyotp
from django.utils.crypto import salted_hmac

from wagtail_securelink.core.keys import secret_keys

__all__ = [
    "new_nonce",
    "derive_code",
    "hash_code",
    "is_well_formed",
    "code_for",
    "matches",
    "clean_input",
]

# Salts are names of their own, not module paths: moving a module changes no digest.
_DERIVE_SALT = "wagtail_securelink.codes.derive"
_HASH_SALT = "wagtail_securelink.codes.hash"
# Only ASCII digits: ``[0-9]`` never matches full-width or other Unicode digits, unlike
# ``str.isdigit`` or ``\d``, and nothing is NFKC-folded as pyotp.utils.strings_equal would.
_ASCII_DIGITS = re.compile(r"[0-9]+")
# Visitors paste codes with spaces or a hyphen in the middle ("482 913"); drop ASCII ones only.
_SEPARATORS = re.compile(r"[ \t\-]")


def new_nonce() -> str:
    return secrets.token_hex(16)


def derive_code(nonce: str, digits: int, secret=None) -> str:
    digest = salted_hmac(
        _DERIVE_SALT, nonce, secret=secret, algorithm="sha256"
    ).digest()
    secret = base64.b32encode(digest).decode("ascii").rstrip("=")
    return pyotp.HOTP(secret, digits=digits).at(0)


def hash_code(nonce: str, code: str, secret=None) -> str:
    return salted_hmac(
        _HASH_SALT, f"{nonce}:{code}", secret=secret, algorithm="sha256"
    ).hexdigest()


def code_for(nonce: str, digits: int, stored_hash: str) -> str | None:
    """The code a row stands for, derived under whichever key wrote it; ``None`` when
    this process holds none of the keys (a worker configured without the new key)."""
    for key in secret_keys():
        code = derive_code(nonce, digits, secret=key)
        if hmac.compare_digest(hash_code(nonce, code, secret=key), stored_hash):
            return code
    return None


def clean_input(value: str) -> str:
    return _SEPARATORS.sub("", value or "")


def is_well_formed(value: str, digits: int) -> bool:
    return len(value) == digits and bool(_ASCII_DIGITS.fullmatch(value))


def matches(nonce: str, stored_hash: str, submitted: str) -> bool:
    """Constant-time comparison of a submitted code against the stored keyed hash,
    under every key (no early exit, so the time does not tell which key matched)."""
    found = False
    for key in secret_keys():
        found |= hmac.compare_digest(
            hash_code(nonce, submitted, secret=key), stored_hash
        )
    return found
