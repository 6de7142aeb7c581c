"""Keep link tokens out of log records.

A link's URL *is* a secret (S1): anyone who reads ``/share/<token>/`` in a log
line can open the landing page and, for an ``anyone`` link without a password, the
files. Django's ``django.request`` warnings ("Bad Request: /share/<token>/code/"),
runserver's request lines, gunicorn's access log and error emails all carry the path.

``RedactShareTokens`` is a ``logging.Filter`` to put on every handler (a filter on a
logger does not see records that propagate from its children). It replaces anything
shaped like a link token in the formatted message, the exception text and the request
attached to the record (path, query string, referer) with ``[redacted]``. It never
drops a record and never raises.

An error email also prints the local variables of every frame of the traceback, and a
view's ``token`` argument is one of them: ``RedactingExceptionReporterFilter``, named in
``DEFAULT_EXCEPTION_REPORTER_FILTER``, redacts them and the request's META there.
"""

import copy
import logging
import re

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter

__all__ = [
    "RedactShareTokens",
    "RedactingExceptionReporterFilter",
    "redact",
    "redact_data",
]

REDACTED = "[redacted]"
# The shape of ``tokens.make_token``: 22 base64url characters, a dot, the signature.
# Matched anywhere, not only after the mount point, so a referer, a redirect target or
# a percent-encoded path inside another URL is covered too.
_TOKEN = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{20,100}")
_META_KEYS = ("PATH_INFO", "REQUEST_URI", "RAW_URI", "QUERY_STRING", "HTTP_REFERER")


def redact(value: str) -> str:
    """``value`` with every link token replaced by ``[redacted]``."""
    return _TOKEN.sub(REDACTED, value)


def redact_data(value):
    """``value`` (strings, dicts, lists, tuples, nested) with every token redacted: for
    an error tracker's event (Sentry's ``before_send``), see docs/operations.md."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_data(item) for item in value)
    return value


def _redacted_request(request):
    # A copy: the real request may still be in use by the middleware that called the
    # logger, and must keep its path.
    clone = copy.copy(request)
    for attr in ("path", "path_info"):
        if isinstance(getattr(clone, attr, None), str):
            setattr(clone, attr, redact(getattr(clone, attr)))
    meta = getattr(request, "META", None)
    if isinstance(meta, dict):
        clone.META = {
            k: redact(v) if k in _META_KEYS and isinstance(v, str) else v
            for k, v in meta.items()
        }
    return clone


class RedactShareTokens(logging.Filter):
    """Redact link tokens from a record; use on handlers: ``"filters": [...]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, ()
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = redact(record.exc_text)
            request = getattr(record, "request", None)
            if request is not None and hasattr(request, "META"):
                record.request = _redacted_request(request)
        except Exception:  # noqa: S110 (a log filter must never break logging)
            pass
        return True


def _redacted_variable(value):
    if isinstance(value, str | dict | list | tuple):
        return redact_data(value)
    if isinstance(value, HttpRequest):
        return _redacted_request(value)  # its repr shows the path
    return value


class RedactingExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter for error reports, which also redacts link tokens from the frame
    variables and the request META (``DEFAULT_EXCEPTION_REPORTER_FILTER``)."""

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (name, _redacted_variable(value))
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]

    def get_safe_request_meta(self, request):
        return redact_data(super().get_safe_request_meta(request))
