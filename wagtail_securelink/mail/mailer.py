"""Sending email over one SMTP connection per thread, reused across messages.

Django's ``EmailMessage.send()`` opens a connection to the mail server for each message
and closes it after: TCP, the greeting, EHLO, STARTTLS and AUTH where configured, then
QUIT, for every code. A task worker sending a burst of codes spent more time on that
than on the messages. Here each thread keeps its SMTP connection open between messages
and opens a new one when the settings changed, when it has been idle for longer than
``IDLE_SECONDS`` (mail servers drop idle clients; Postfix after 300 s) or when the
server has closed it: a message refused with ``SMTPServerDisconnected`` was not
accepted, so it is sent once more on a fresh connection.

Any other backend (console, file, locmem, a site's own) is used as before, one
``get_connection()`` per message.
"""

import atexit
import logging
import smtplib
import threading
import time

from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend

__all__ = ["send", "close"]

logger = logging.getLogger(__name__)

IDLE_SECONDS = 30

_local = threading.local()
_open = set()  # every thread's kept connection, closed at exit
_lock = threading.Lock()


def _key(backend: SMTPBackend) -> tuple:
    return (
        type(backend),
        backend.host,
        backend.port,
        backend.username,
        backend.password,
        backend.use_tls,
        backend.use_ssl,
        backend.timeout,
        backend.ssl_keyfile,
        backend.ssl_certfile,
    )


def _drop(backend) -> None:
    with _lock:
        _open.discard(backend)
    try:
        backend.close()
    except Exception:  # noqa: S110 (closing a connection that is already gone)
        pass


def _kept(backend: SMTPBackend, *, fresh: bool = False) -> SMTPBackend:
    kept = getattr(_local, "backend", None)
    now = time.monotonic()
    if kept is not None and (
        fresh
        or kept.connection is None
        or _key(kept) != _key(backend)
        or now - _local.used_at > IDLE_SECONDS
    ):
        _drop(kept)
        kept = None
    if kept is None:
        kept = backend
        kept.open()
        with _lock:
            _open.add(kept)
    _local.backend, _local.used_at = kept, now
    return kept


def send(message) -> None:
    """Send ``message``; raises on failure like ``message.send(fail_silently=False)``."""
    backend = get_connection(fail_silently=False)
    if type(backend) is not SMTPBackend:
        message.send(fail_silently=False)  # exactly as before
        return
    kept = _kept(backend)
    try:
        kept.send_messages([message])
    except smtplib.SMTPServerDisconnected:
        logger.info("The mail server closed the kept connection; sending on a new one")
        kept = _kept(backend, fresh=True)
        try:
            kept.send_messages([message])
        except Exception:
            _drop(kept)
            _local.backend = None
            raise
    except Exception:
        # A refused message or a broken connection: start afresh next time.
        _drop(kept)
        _local.backend = None
        raise
    _local.used_at = time.monotonic()


def close() -> None:
    """Close every kept connection (at exit, and for tests)."""
    with _lock:
        backends = list(_open)
    for backend in backends:
        _drop(backend)
    _local.backend = None


atexit.register(close)
