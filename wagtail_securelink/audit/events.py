"""Access events: recording them (S15). The hash chain over them lives in ``chain``.

Recording is one INSERT, committed before the response it records is sent; no lock
that every request must take. The chain is sealed after, in batches (``chain.seal_chain``):
by a task (``seal_task``) queued ``WAGTAIL_SECURELINK_AUDIT_SEAL_DELAY`` seconds after
the first unsealed event this process recorded, and by ``securelink_purge`` and
``securelink_verify_audit --seal``. A delay of 0 seals within ``record_event`` itself; a
negative one leaves sealing to those commands (a site that runs them from a timer).
"""

import logging
import time
from dataclasses import asdict, dataclass, field

from django_tasks import task

from wagtail_securelink.audit.chain import personal_digest, seal_chain
from wagtail_securelink.choices import IPStorage
from wagtail_securelink.conf import settings
from wagtail_securelink.core.clients import anonymise_ip, client_ip, user_agent
from wagtail_securelink.core.languages import visitor_language
from wagtail_securelink.models import AccessEvent
from wagtail_securelink.models.policy import current_policy
from wagtail_securelink.tasks.background import later

__all__ = ["Visit", "record_event", "seal_task", "schedule_sealing"]

logger = logging.getLogger(__name__)


def _stored_ip(request, policy) -> str:
    if request is None or policy.store_ip_addresses == IPStorage.NONE:
        return ""
    ip = client_ip(request)
    return ip if policy.store_ip_addresses == IPStorage.FULL else anonymise_ip(ip)


@dataclass(frozen=True)
class Visit:
    """What the audit keeps of the request an event happened in, as plain values: the
    work that follows a response (a task, maybe in another process) records exactly
    what the request would have."""

    ip: str = ""
    agent: str = ""
    user_id: int | None = None
    detail: dict = field(default_factory=dict)
    language: str = ""  # the browser's, when it says (``languages``)

    @classmethod
    def of(cls, request, *, language: bool = False) -> "Visit":
        """The visit ``request`` is; with the browser's language when ``language``."""
        if request is None:
            return cls()
        user = getattr(request, "user", None)
        return cls(
            ip=_stored_ip(request, current_policy(request)),
            agent=user_agent(request),
            user_id=user.pk if user is not None and user.is_authenticated else None,
            detail=dict(getattr(request, "securelink_event_detail", {})),
            language=visitor_language(request) if language else "",
        )

    def as_dict(self) -> dict:
        return asdict(self)


def record_event(
    event: str,
    *,
    link=None,
    recipient=None,
    user=None,
    email: str = "",
    request=None,
    visit: Visit | None = None,
    detail: dict | None = None,
) -> AccessEvent:
    """Append one event to the audit trail.

    ``detail`` must never hold a code, a token or a password: callers pass counts,
    ids and reasons only.
    A request may carry ``securelink_event_detail`` (the API v3 token's id and name),
    merged into the detail of every event recorded for it. Work that runs after the
    response passes the ``visit`` its request left instead of the request.
    """
    if visit is None:
        # Only a request has an address to store: a worker's event needs no policy read.
        visit = Visit.of(request)
    if user is None and request is not None and visit.user_id is not None:
        user = request.user
    if recipient is not None and not email:
        email = recipient.email
    row = AccessEvent(
        event=event,
        link=link,
        recipient=recipient,
        email=email,
        ip_address=visit.ip,
        user_agent=visit.agent,
        detail={**visit.detail, **(detail or {})},
        personal_digest=personal_digest(email, visit.ip, visit.agent),
    )
    if user is not None:
        row.user = user
    else:
        row.user_id = visit.user_id
    row.save(force_insert=True)  # post_save feeds the sharer notices
    logger.debug("securelink event %s link=%s", event, getattr(link, "pk", None))
    delay = settings.AUDIT_SEAL_DELAY
    if delay == 0:
        # seal_chain returns a count (it keeps no rows): the seal is read back.
        if seal_chain():
            row.refresh_from_db(fields=["seq", "prev_hash", "hash"])
    elif delay > 0:
        schedule_sealing(delay)
    return row


@task()
def seal_task() -> int:
    """Seal the events recorded so far into the chain (``chain.seal_chain``)."""
    return seal_chain()


# At most one sealing task queued per delay and process: a burst of events is sealed in
# one batch, each event within about the delay.
_sealing_queued_at = float("-inf")


def schedule_sealing(delay: float) -> None:
    global _sealing_queued_at
    now = time.monotonic()
    if now - _sealing_queued_at < delay:
        return
    _sealing_queued_at = now
    later(seal_task, delay=delay)
