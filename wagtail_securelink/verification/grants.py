"""Grant cookies (S9).

The cookie holds ``[grant id, grant secret]`` signed with a per-link salt, so a cookie
minted for one link is refused on every other. The secret is 128 random bits and only
its SHA-256 is stored: a database dump yields no working cookie. The grant row is
checked on every request, so revoking, removing a recipient, locking, expiry or a
shorter reverification setting ends access on the very next request.
"""

import hashlib
import hmac
import secrets

from django.core import signing

from wagtail_securelink.conf import settings

__all__ = [
    "cookie_name",
    "new_secret",
    "hash_secret",
    "secret_matches",
    "dump",
    "load",
    "set_cookie",
    "delete_cookie",
]


def cookie_name(link, secure: bool) -> str:
    # "__Host-" makes the browser refuse the cookie unless it is Secure, Path=/ and has
    # no Domain attribute, so a sibling subdomain cannot plant or overwrite it.
    name = f"{settings.COOKIE_NAME}-{link.pk}"
    return f"__Host-{name}" if secure else name


def _salt(link) -> str:
    return f"wagtail_securelink.grant.{link.pk}"


def new_secret() -> str:
    return secrets.token_urlsafe(16)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def dump(link, grant_id: int, secret: str) -> str:
    return signing.dumps([grant_id, secret], salt=_salt(link))


def load(link, value: str | None) -> tuple[int, str] | None:
    if not value or len(value) > 512:
        return None
    try:
        grant_id, secret = signing.loads(value, salt=_salt(link))
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(grant_id, int) or not isinstance(secret, str):
        return None
    return grant_id, secret


def set_cookie(response, request, link, value: str, *, days: int) -> None:
    """Hand the visitor the grant cookie for ``days`` (the link's reverification period)."""
    # HttpOnly: no script reads it. SameSite=Lax: a cross-site POST does not carry it,
    # a link followed from an email does. Secure whenever the request is.
    response.set_cookie(
        cookie_name(link, request.is_secure()),
        value,
        max_age=days * 86400,
        path="/",
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )


def delete_cookie(response, request, link) -> None:
    """Tell the browser to forget the grant cookie (sign out)."""
    response.delete_cookie(
        cookie_name(link, request.is_secure()), path="/", samesite="Lax"
    )
