"""The site's secret keys, current first, for keyed digests that must survive a rotation.

Django's own signing (link tokens, grant cookies, signed sessions) already accepts
``SECRET_KEY_FALLBACKS``. The keyed digests this app computes with ``salted_hmac``
(code hashes, the session a code is bound to, the per-address counters, the audit
chain) are written under the current key and *looked up* under every key, so a code
asked for before a rotation still matches after it, and a worker that runs with the new
key and the old one as a fallback mails a code that the web process accepts.
"""

from django.conf import settings as django_settings
from django.utils.crypto import salted_hmac

__all__ = ["secret_keys", "digests", "key_id"]


def secret_keys() -> list:
    """``SECRET_KEY`` then each of ``SECRET_KEY_FALLBACKS``, without repeats."""
    keys = [
        django_settings.SECRET_KEY,
        *getattr(django_settings, "SECRET_KEY_FALLBACKS", []),
    ]
    return list(dict.fromkeys(keys))


def digests(salt: str, value: str) -> list[str]:
    """The hex HMAC-SHA256 of ``value`` under each key, current key first."""
    return [
        salted_hmac(salt, value, secret=key, algorithm="sha256").hexdigest()
        for key in secret_keys()
    ]


def key_id(secret=None) -> str:
    """A short public fingerprint of a key (an HMAC of a constant: it reveals nothing
    about the key), so the audit chain can notice that the sealing key changed."""
    return salted_hmac(
        "wagtail_securelink.keys.id", "", secret=secret, algorithm="sha256"
    ).hexdigest()[:16]
