"""An optional email backend: Django's SMTP backend, its connection kept open.

Django's SMTP backend opens a connection to the mail server for each message (each
``send_mail`` or ``EmailMessage.send()``) and closes it after: TCP, the greeting, EHLO,
STARTTLS and AUTH where configured, then QUIT, for every code. A task worker sending a
burst of codes spends more time on that than on the messages (docs/performance.md,
*The code email*). This backend keeps one SMTP connection per thread open between
messages, and opens a new one when the settings changed, when it has been idle for
longer than ``IDLE_SECONDS`` (mail servers drop idle clients; Postfix after 300 s) or
when the server has closed it: a message refused with ``SMTPServerDisconnected`` was
not accepted, so it is sent once more on a fresh connection. Use it in the processes
that send email::

    EMAIL_BACKEND = "wagtail_securelink.mail.smtp.EmailBackend"

It takes Django's ``EMAIL_*`` settings like the backend it extends.
"""

import atexit
import logging
import smtplib
import threading
import time

from django.core.mail.backends.smtp import EmailBackend as SMTPBackend

__all__ = ["EmailBackend", "close"]

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


class EmailBackend(SMTPBackend):
    """``django.core.mail.backends.smtp.EmailBackend`` over a kept connection."""

    def send_messages(self, email_messages):
        if not email_messages:
            return 0
        kept = _kept(self)
        try:
            sent = SMTPBackend.send_messages(kept, email_messages)
        except smtplib.SMTPServerDisconnected:
            logger.info("The mail server closed the kept connection; sending again")
            kept = _kept(self, fresh=True)
            try:
                sent = SMTPBackend.send_messages(kept, email_messages)
            except Exception:
                _forget(kept)
                raise
        except Exception:
            # A refused message or a broken connection: start afresh next time.
            _forget(kept)
            raise
        _local.used_at = time.monotonic()
        return sent


def _forget(backend) -> None:
    _drop(backend)
    _local.backend = None


def close() -> None:
    """Close every kept connection (at exit, and for tests)."""
    with _lock:
        backends = list(_open)
    for backend in backends:
        _drop(backend)
    _local.backend = None


atexit.register(close)
