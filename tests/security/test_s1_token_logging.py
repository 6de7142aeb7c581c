"""``RedactShareTokens``: no link token in any log record that a handler
writes, through real requests (a wrong code's 400, a 404), ``django.request`` included."""

import logging
import re

import pytest

from tests.helpers import enter_code_url, landing_url, last_code, request_code
from tests.security.conftest import ALICE, PREVIEW_MARK, wrong_code
from tests.test_project import EXAMPLE_SITE, assert_ok, run
from wagtail_securelink.core.redaction import RedactShareTokens, redact


class _Capture(logging.Handler):
    """Formats every record as a handler writing a file would, and keeps the request
    an error email would print."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines, self.records = [], []

    def emit(self, record):
        self.records.append(record)
        self.lines.append(self.format(record))
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "META"):
            self.lines.append(request.path + " " + request.get_full_path())
            self.lines.append(repr(sorted(request.META.items(), key=str)))


@pytest.fixture
def captured():
    handler = _Capture()
    handler.addFilter(RedactShareTokens())
    loggers = [logging.getLogger(n) for n in ("", "django", "wagtail_securelink")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield handler
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_a_wrong_code_and_a_404_leave_no_token_in_any_log_record(
    client, link, captured
):
    request_code(client, link, ALICE)
    response = client.post(
        enter_code_url(link),
        {"code": wrong_code(last_code(ALICE))},
        HTTP_REFERER="https://docs.example.com/share/" + link.token + "/",
    )
    assert response.status_code == 400
    assert client.get(f"/share/{link.token}/nothing-here/").status_code == 404
    names = {(r.name, r.levelname) for r in captured.records}
    assert ("django.request", "WARNING") in names  # "Bad Request", "Not Found"
    text = "\n".join(captured.lines)
    assert "Bad Request: /share/[redacted]/code/" in text
    assert "Not Found: /share/[redacted]/nothing-here/" in text
    assert link.token not in text
    assert link.key not in text  # the stored half alone is no use, but still


def test_a_page_preview_leaves_no_token_in_any_log_record(page_link, captured):
    """The preview is rendered by Wagtail on a request of its own, through the site's
    middleware: neither it nor the reviewer's requests log the link's token."""
    from django.test import Client

    link = page_link
    browser = Client()
    request_code(browser, link, ALICE)
    response = browser.post(
        enter_code_url(link),
        {"code": wrong_code(last_code(ALICE))},
        HTTP_REFERER="https://docs.example.com/share/" + link.token + "/",
    )
    assert response.status_code == 400
    assert (
        browser.post(enter_code_url(link), {"code": last_code(ALICE)}).status_code
        == 303
    )
    preview = browser.get(landing_url(link), HTTP_REFERER=link.url)
    assert PREVIEW_MARK in preview.content
    assert browser.get(f"/share/{link.token}/nothing-here/").status_code == 404
    text = "\n".join(captured.lines)
    assert "Bad Request: /share/[redacted]/code/" in text
    assert "Not Found: /share/[redacted]/nothing-here/" in text
    assert link.token not in text
    assert link.key not in text


def test_the_real_request_keeps_its_path(rf):
    """The filter redacts a copy: middleware after the logger still sees the path."""
    request = rf.get("/share/" + "a" * 22 + "." + "b" * 43 + "/")
    record = logging.LogRecord("django.request", 30, "", 0, "x", (), None)
    record.request = request
    RedactShareTokens().filter(record)
    assert record.request.path == "/share/[redacted]/"
    assert request.path == "/share/" + "a" * 22 + "." + "b" * 43 + "/"


def test_tokens_are_redacted_in_arguments_and_exception_text():
    token = "K2sqFwAXG6U_osmi92-TSg.LurGV6sy-ux3WxEC-BTXfsXgt6NcswfNA-sUBBw0aLM"
    try:
        raise ValueError(f"no such link /share/{token}/")
    except ValueError:
        import sys

        record = logging.LogRecord("x", 40, "", 0, "%s %d", (token, 3), sys.exc_info())
    assert RedactShareTokens().filter(record) is True
    out = logging.Formatter().format(record)
    assert token not in out and "[redacted] 3" in out
    assert redact("see /share/abc/ and " + token) == "see /share/abc/ and [redacted]"


@pytest.mark.process
def test_the_example_site_redacts_django_request_warnings(tmp_path):
    token = "K2sqFwAXG6U_osmi92-TSg.LurGV6sy-ux3WxEC-BTXfsXgt6NcswfNA-sUBBw0aLM"
    result = run(
        [
            "-c",
            "import django; django.setup(); "
            "from django.core.management import call_command; "
            "call_command('migrate', verbosity=0); "
            "from django.test import Client; "
            f"print(Client(HTTP_HOST='127.0.0.1').get('/share/{token}/').status_code)",
        ],
        cwd=EXAMPLE_SITE,
        settings_module="example_site.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert_ok(result)
    assert result.stdout.strip() == "404"
    assert re.search(r"Not Found: /share/\[redacted\]/", result.stderr), result.stderr
    assert token not in result.stderr + result.stdout


def test_redact_data_scrubs_a_sentry_like_event():
    token = "K2sqFwAXG6U_osmi92-TSg.LurGV6sy-ux3WxEC-BTXfsXgt6NcswfNA-sUBBw0aLM"
    event = {
        "request": {
            "url": f"https://x.test/share/{token}/",
            "headers": {"Referer": token},
        },
        "breadcrumbs": {"values": [{"data": {"url": f"/share/{token}/zip/"}}]},
        "exception": {"values": [{"value": f"boom {token}", "lineno": 3}]},
        "tags": ("a", token),
    }
    from wagtail_securelink.core.redaction import redact_data

    scrubbed = redact_data(event)
    assert token not in repr(scrubbed)
    assert scrubbed["request"]["url"] == "https://x.test/share/[redacted]/"
    assert scrubbed["exception"]["values"][0]["lineno"] == 3
    assert scrubbed["tags"] == ("a", "[redacted]")


def _failing_view(token):
    raise RuntimeError("the view broke")


def test_an_error_email_carries_no_token(rf, link, settings, mailoutbox):
    """The example site's error email: the mail_admins handler with the filter, and
    DEFAULT_EXCEPTION_REPORTER_FILTER, as its settings have them."""
    from django.utils.log import AdminEmailHandler
    from django.views.debug import get_default_exception_reporter_filter

    settings.ADMINS = [("Ops", "ops@example.com")]
    settings.DEBUG = False
    settings.DEFAULT_EXCEPTION_REPORTER_FILTER = (
        "wagtail_securelink.core.redaction.RedactingExceptionReporterFilter"
    )
    get_default_exception_reporter_filter.cache_clear()  # Django caches the setting
    path = f"/share/{link.token}/code/"
    request = rf.get(path, HTTP_REFERER="https://docs.example.com" + path)
    handler = AdminEmailHandler(include_html=True)
    handler.addFilter(RedactShareTokens())
    logger = logging.getLogger("tests.error_email")
    logger.addHandler(handler)
    try:
        _failing_view(link.token)
    except RuntimeError:
        logger.error(
            "Internal Server Error: %s",
            path,
            exc_info=True,
            extra={"status_code": 500, "request": request},
        )
    finally:
        logger.removeHandler(handler)
        get_default_exception_reporter_filter.cache_clear()
    [email] = mailoutbox
    html = email.alternatives[0][0]
    assert "the view broke" in email.body and "_failing_view" in html
    assert "[redacted]" in email.body
    for text in (email.subject, email.body, html):
        assert link.token not in text
        assert link.token.split(".")[1] not in text  # not even the signature part
