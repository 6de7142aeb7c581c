"""Terms a visitor accepts before a link's item shows (issue 16).

A link carries its own text (the share form starts from the policy's default). The
version of the terms is a digest of the text, so changing the text asks every
visitor again. Acceptance is remembered in the visitor's session, per link and
version, and recorded as an access event (address, time, version).
"""

import hashlib

__all__ = ["version", "accepted", "remember"]


def version(text: str) -> str:
    return hashlib.sha256((text or "").strip().encode()).hexdigest()[:12]


def _key(link) -> str:
    return f"securelink_terms_{link.pk}"


def accepted(request, link) -> bool:
    session = getattr(request, "session", None)
    return session is not None and session.get(_key(link)) == version(link.terms)


def remember(request, link) -> None:
    request.session[_key(link)] = version(link.terms)
