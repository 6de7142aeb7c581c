"""Link tokens (S1).

A link's URL token is ``<key>.<signature>``: ``key`` carries 128 bits from ``secrets``
and is stored in the database; ``signature`` is an HMAC of the key under the site's
``SECRET_KEY`` and is stored nowhere. A database dump alone therefore yields no working
URL, yet the server can rebuild the URL at any time so editors can copy a link again.
``Signer`` checks ``SECRET_KEY_FALLBACKS`` too, so rotating the key keeps old links
working until the old key is dropped from the fallbacks.
"""

import logging
import re
import secrets

from django.core import signing
from django.urls import reverse

from wagtail_securelink.conf import settings

__all__ = ["landing_path", "new_link_key", "make_token", "key_from_token", "link_url"]

logger = logging.getLogger(__name__)

KEY_BYTES = 16  # 128 bits (S1)
_SALT = "wagtail_securelink.link"
_SEP = "."
# Key (22 base64url characters) + separator + signature (43 base64url characters).
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{20,100}")


def _signer() -> signing.Signer:
    return signing.Signer(salt=_SALT, sep=_SEP)


def new_link_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


def make_token(key: str) -> str:
    return _signer().sign(key)


def key_from_token(token: str) -> str | None:
    """Return the link key a token carries, or ``None`` for anything not minted here.

    Never raises: a bad token is logged at DEBUG with the reason and answered like an
    unknown one, so the visitor cannot tell a forged token from a revoked link.
    """
    if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
        logger.debug("Malformed link token")
        return None
    try:
        return _signer().unsign(token)
    except signing.BadSignature:
        logger.debug("Link token with a bad signature")
        return None


def landing_path(link) -> str:
    """The path of the link's landing page: where every visitor page sends back to."""
    return reverse("wagtail_securelink:landing", args=[link.token])


def link_url(link) -> str:
    """The link's absolute URL, built from the configured base URL, never the Host header (S12)."""
    return settings.base_url + landing_path(link)
