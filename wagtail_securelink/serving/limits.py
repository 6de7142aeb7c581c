"""What opening a link's item meets: terms to accept, open and download limits ("at
most 3 downloads", "expires after the first download"), and the open counter.

On a link for specific people the limits apply to each person (each recipient has
their own allowance, counted on their row); on the other links, to the link as a
whole. Every count is taken with one conditional UPDATE (``count < limit`` in the
WHERE clause, ``F() + 1`` in the SET), so two processes serving the last download at
the same moment cannot both get it. The link's own totals are counted in every case,
for Manage access.

An *open* is counted once per visitor session and link (a visitor moving through the
pages of the viewer opens the item once); clearing cookies counts a new open, never
fewer. A *download* is each Download button, ZIP, or file sent inline from a link that
has a download limit; only links with a limit are counted.

Terms: a link carries its own text (the share form starts from the policy's default).
The version of the terms is a digest of the text, so changing the text asks every
visitor again. Acceptance is remembered in the visitor's session, per link and
version, and recorded as an access event (address, time, version).

The open counter is an ``UPDATE … SET open_count = open_count + 1``: two visitors
opening the link at once both count, without a read-modify-write race.
"""

import hashlib
from dataclasses import dataclass

from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone

from wagtail_securelink.audit.events import record_event
from wagtail_securelink.choices import Audience, EventType
from wagtail_securelink.models import Recipient, ShareLink

__all__ = [
    "Allowance",
    "allowance",
    "take_open",
    "take_download",
    "OPENS",
    "DOWNLOADS",
    "terms_version",
    "terms_accepted",
    "remember_terms",
    "record_open",
]

OPENS = "opens"
DOWNLOADS = "downloads"
_FIELDS = {
    # kind: (limit on the link, count on the link, count on the recipient)
    OPENS: ("max_opens", "open_sessions", "open_count"),
    DOWNLOADS: ("max_downloads", "download_count", "download_count"),
}


@dataclass
class Allowance:
    limit: int | None
    used: int

    @property
    def left(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)

    @property
    def exhausted(self) -> bool:
        return self.limit is not None and self.used >= self.limit


def _per_person(link, recipient) -> bool:
    return link.audience == Audience.SPECIFIC and recipient is not None


def allowance(link, recipient, kind: str) -> Allowance:
    """What the visitor has used of ``kind`` and what is left (read, not taken)."""
    limit_field, link_field, person_field = _FIELDS[kind]
    limit = getattr(link, limit_field)
    if _per_person(link, recipient):
        used = (
            Recipient.objects.filter(pk=recipient.pk)
            .values_list(person_field, flat=True)
            .first()
        )
    else:
        used = (
            ShareLink.objects.filter(pk=link.pk)
            .values_list(link_field, flat=True)
            .first()
        )
    return Allowance(limit, used or 0)


def _take(link, recipient, kind: str) -> bool:
    limit_field, link_field, person_field = _FIELDS[kind]
    limit = getattr(link, limit_field)
    if _per_person(link, recipient):
        rows = Recipient.objects.filter(pk=recipient.pk)
        if limit is not None:
            rows = rows.filter(**{f"{person_field}__lt": limit})
        if not rows.update(**{person_field: F(person_field) + 1}):
            return False
        ShareLink.objects.filter(pk=link.pk).update(**{link_field: F(link_field) + 1})
        return True
    rows = ShareLink.objects.filter(pk=link.pk)
    if limit is not None:
        # The limit is read from the row in the same statement: an editor raising it
        # meanwhile is seen at once.
        rows = rows.filter(
            Q(**{f"{limit_field}__isnull": True})
            | Q(**{f"{link_field}__lt": F(limit_field)})
        )
    return bool(rows.update(**{link_field: F(link_field) + 1}))


def _opened_key(link) -> str:
    return f"securelink_opened_{link.pk}"


def opened_in_session(request, link) -> bool:
    """Whether this visitor session has already taken one of the link's opens."""
    session = getattr(request, "session", None)
    return session is not None and bool(session.get(_opened_key(link)))


def take_open(link, access, request) -> bool:
    """Count an open for this visitor session, if not counted yet. ``False``: no
    opens are left, and the item must not be shown."""
    key = _opened_key(link)
    session = getattr(request, "session", None)
    if session is not None and session.get(key):
        return True
    if not _take(link, access.recipient, OPENS):
        return False
    if session is not None:
        session[key] = True
    return True


def take_download(link, access) -> bool:
    """Count one download on a link with a download limit. ``False``: no downloads
    are left; send nothing. A link without a limit counts nothing here (its downloads
    are in the access events), so its download costs no statement more."""
    if link.max_downloads is None:
        return True
    return _take(link, access.recipient, DOWNLOADS)


def terms_version(text: str) -> str:
    return hashlib.sha256((text or "").strip().encode()).hexdigest()[:12]


def _terms_key(link) -> str:
    return f"securelink_terms_{link.pk}"


def terms_accepted(request, link) -> bool:
    session = getattr(request, "session", None)
    return session is not None and session.get(_terms_key(link)) == terms_version(
        link.terms
    )


def remember_terms(request, link) -> None:
    request.session[_terms_key(link)] = terms_version(link.terms)


def record_open(link: ShareLink, access, request: HttpRequest) -> None:
    """Count one open of ``link`` by the visitor holding ``access``, and record an
    ``opened`` event (the limits are ``take_open``; this only counts)."""
    ShareLink.objects.filter(pk=link.pk).update(
        open_count=F("open_count") + 1, last_opened_at=timezone.now()
    )
    record_event(
        EventType.OPENED, link=link, recipient=access.recipient, request=request
    )
