"""Access events: recording them (S15). The hash chain over them lives in ``chain``.

Recording is one INSERT, committed before the response it records is sent; no lock
that every request must take. The chain is sealed after, in batches (``chain.seal_chain``):
by a timer in this process ``WAGTAIL_SECURELINK_AUDIT_SEAL_DELAY`` seconds after the
first unsealed event it recorded, at process exit, and by ``securelink_purge`` and
``securelink_verify_audit --seal``. A delay of 0 seals within ``record_event`` itself; a
negative one leaves sealing to those commands (a site that runs them from a timer).
"""

import atexit
import logging
import threading

from django.db import DatabaseError, connections

from wagtail_securelink.audit.chain import personal_digest, seal_chain
from wagtail_securelink.choices import IPStorage
from wagtail_securelink.conf import settings
from wagtail_securelink.core.clients import anonymise_ip, client_ip, user_agent
from wagtail_securelink.models import AccessEvent
from wagtail_securelink.models.policy import current_policy

__all__ = ["record_event", "schedule_sealing"]

logger = logging.getLogger(__name__)


def _stored_ip(request, policy) -> str:
    if request is None or policy.store_ip_addresses == IPStorage.NONE:
        return ""
    ip = client_ip(request)
    return ip if policy.store_ip_addresses == IPStorage.FULL else anonymise_ip(ip)


def record_event(
    event: str,
    *,
    link=None,
    recipient=None,
    user=None,
    email: str = "",
    request=None,
    detail: dict | None = None,
) -> AccessEvent:
    """Append one event to the audit trail.

    ``detail`` must never hold a code, a token or a password: callers pass counts,
    ids and reasons only.
    A request may carry ``securelink_event_detail`` (the API v3 token's id and name),
    merged into the detail of every event recorded for it.
    """
    if (
        user is None
        and request is not None
        and getattr(request, "user", None) is not None
    ):
        if request.user.is_authenticated:
            user = request.user
    if recipient is not None and not email:
        email = recipient.email
    # Only a request has an address to store: a worker's event needs no policy read.
    ip = _stored_ip(request, current_policy(request)) if request is not None else ""
    agent = user_agent(request) if request is not None else ""
    row = AccessEvent(
        event=event,
        link=link,
        recipient=recipient,
        user=user,
        email=email,
        ip_address=ip,
        user_agent=agent,
        detail={**getattr(request, "securelink_event_detail", {}), **(detail or {})},
        personal_digest=personal_digest(email, ip, agent),
    )
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


class _Sealer:
    """At most one pending sealing timer per process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._timer = None

    def schedule(self, delay: float) -> None:
        with self._lock:
            if self._timer is not None:
                return
            self._timer = threading.Timer(delay, self._run)
            self._timer.daemon = True
            self._timer.start()

    def _run(self) -> None:
        with self._lock:
            self._timer = None
        try:
            seal_chain()
        except DatabaseError as exc:
            # Busy database or a blip: the events are committed; seal on the next round.
            logger.warning("Sealing the audit chain failed (%s)", type(exc).__name__)
            self.schedule(settings.AUDIT_SEAL_DELAY or 1)
        finally:
            connections.close_all()  # this thread's connections only

    def drain(self) -> None:
        with self._lock:
            timer, self._timer = self._timer, None
        if timer is None:
            return
        timer.cancel()
        try:
            seal_chain()
        except Exception:
            logger.warning("Sealing the audit chain at exit failed", exc_info=True)


_sealer = _Sealer()
atexit.register(_sealer.drain)


def schedule_sealing(delay: float) -> None:
    _sealer.schedule(delay)
