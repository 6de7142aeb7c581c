"""S10: every visitor response carries the privacy and framing headers; files are
attachments unless their type is safe inline, inline files are sandboxed, and file
names follow RFC 6266."""

import pytest
from django.core.files.base import ContentFile
from django.test import Client, override_settings
from django.urls import reverse

from tests.factories import make_document, make_link
from tests.helpers import (
    download_url,
    enter_code_url,
    landing_url,
    request_code,
    send_code_url,
    verify,
    view_url,
)
from tests.security.conftest import ALICE, BROKEN_STORE
from wagtail_securelink import services
from wagtail_securelink.core import tokens

pytestmark = pytest.mark.django_db

HEADERS = {
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}


def url(name, link):
    return reverse(f"wagtail_securelink:{name}", args=[link.token])


def _verified(link):
    client = Client()
    verify(client, link, ALICE)
    return client


def _pending(link):
    client = Client()
    request_code(client, link, ALICE)
    return client


def _gone(link):
    client = _verified(link)
    link.document.delete()
    return client.get(landing_url(link))


def _removed(link):
    services.revoke_link(link)
    return Client().get(landing_url(link))


@override_settings(WAGTAIL_SECURELINK_RATE_LOOKUP_PER_NETWORK="1/m")
def _lookup_limited(link):
    client = Client()
    client.get("/share/" + tokens.make_token("x" * 22) + "/")
    return client.get("/share/" + tokens.make_token("y" * 22) + "/")


@override_settings(WAGTAIL_SECURELINK_RATE_SEND_PER_NETWORK="1/h")
def _send_limited(link):
    client = Client()
    request_code(client, link, ALICE)
    return request_code(client, link, ALICE)


@override_settings(**BROKEN_STORE)
def _cache_down(link):
    return request_code(Client(), link, ALICE)


def _view_only(link):
    view_only = make_link(link.document, [ALICE], role="view")
    return _verified(view_only).get(download_url(view_only))


def _csrf_failure(link):
    browser = Client(enforce_csrf_checks=True)
    browser.get(landing_url(link))
    response = browser.post(send_code_url(link), {"email": ALICE})
    assert b"CSRF" in response.content or b"Forbidden" in response.content
    return response


def _html_view(link):
    html = make_document("Page", "page.html", b"<script>alert(1)</script>")
    html_link = make_link(html, [ALICE])
    return _verified(html_link).get(view_url(html_link))


STATES = {
    "unknown_token": (
        lambda link: Client().get("/share/" + tokens.make_token("z" * 22) + "/"),
        404,
    ),
    "malformed_token": (lambda link: Client().get("/share/%00%F0%9F%94%91/"), 404),
    "revoked": (_removed, 404),
    "lookup_rate_limited": (_lookup_limited, 429),
    "send_rate_limited": (_send_limited, 429),
    "cache_down": (_cache_down, 503),
    "document_deleted": (_gone, 410),
    "landing_without_grant": (lambda link: Client().get(landing_url(link)), 200),
    "landing_with_grant": (lambda link: _verified(link).get(landing_url(link)), 200),
    "send_code": (lambda link: request_code(Client(), link, ALICE), 303),
    "send_code_bad_address": (lambda link: request_code(Client(), link, "x@"), 400),
    "send_code_get": (lambda link: Client().get(send_code_url(link)), 405),
    "enter_code_without_pending": (
        lambda link: Client().get(enter_code_url(link)),
        302,
    ),
    "enter_code_page": (lambda link: _pending(link).get(enter_code_url(link)), 200),
    "enter_code_wrong": (
        lambda link: _pending(link).post(enter_code_url(link), {"code": "12"}),
        400,
    ),
    "enter_code_put": (lambda link: _pending(link).put(enter_code_url(link)), 405),
    "verified": (lambda link: verify(Client(), link, ALICE), 303),
    "download_file": (lambda link: _verified(link).get(download_url(link)), 200),
    "download_without_grant": (lambda link: Client().get(download_url(link)), 302),
    "download_view_only": (_view_only, 403),
    "view_file": (lambda link: _verified(link).get(view_url(link)), 200),
    "view_file_html": (_html_view, 404),
    "sign_out": (lambda link: _verified(link).post(url("sign_out", link)), 200),
    "sign_out_get": (lambda link: Client().get(url("sign_out", link)), 405),
    "sign_in": (lambda link: Client().get(url("sign_in", link)), 302),
    # Django's own pages under the prefix: a CSRF failure, a path no view knows.
    "csrf_failure": (_csrf_failure, 403),
    "unknown_path": (lambda link: Client().get(landing_url(link) + "nothing/"), 404),
    "unknown_deep_path": (lambda link: Client().get("/share/a/b/c/d/"), 404),
    "prefix_itself": (lambda link: Client().get("/share/"), 404),
    "missing_slash": (lambda link: Client().get(landing_url(link)[:-1]), 302),
    "body_too_big": (
        lambda link: Client().post(
            send_code_url(link), {"email": "x" * 70_000 + "@example.com"}
        ),
        413,
    ),
}


@pytest.mark.parametrize("state", list(STATES))
def test_every_visitor_response_has_the_headers(link, state):
    """S10: Cache-Control, Referrer-Policy, X-Robots-Tag, nosniff, frame-ancestors."""
    make, status = STATES[state]
    response = make(link)
    assert response.status_code == status
    for header, value in HEADERS.items():
        assert response.get(header) == value, header
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


SAFE = [
    ("report.pdf", "application/pdf"),
    ("photo.png", "image/png"),
    ("notes.txt", "text/plain"),
    ("song.mp3", "audio/mpeg"),
    ("clip.mp4", "video/mp4"),
]
UNSAFE = ["page.html", "page.htm", "drawing.svg", "data.xml", "page.xhtml"]


@pytest.mark.parametrize(("filename", "content_type"), SAFE)
def test_safe_types_are_inline_and_sandboxed(root_collection, filename, content_type):
    """S10: PDF, images, text, audio and video show inline under a sandbox CSP."""
    document = make_document("Item", filename, b"content of " + filename.encode())
    link = make_link(document, [ALICE])
    client = _verified(link)
    response = client.get(view_url(link))
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert response["Content-Disposition"].startswith("inline")
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "sandbox" in csp
    download = client.get(download_url(link))
    assert download["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("filename", UNSAFE)
def test_active_types_are_never_inline(root_collection, filename):
    """S10: HTML, SVG and XML are attachments, even through the view URL."""
    payload = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"
    document = make_document("Item", filename, payload)
    link = make_link(document, [ALICE])
    client = _verified(link)
    response = client.get(view_url(link))
    assert response.status_code == 404
    assert b"Preview not available" in response.content
    assert payload not in response.content
    download = client.get(download_url(link))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == payload
    page = client.get(landing_url(link))
    assert view_url(link).encode() not in page.content  # no preview offered


def test_non_ascii_file_names_follow_rfc_6266(root_collection):
    """S10: a non-ASCII name goes in ``filename*=utf-8''…``, never raw in the header."""
    document = make_document("Résumé", "Résumé été 2024.pdf")
    link = make_link(document, [ALICE])
    client = _verified(link)
    for response in (client.get(download_url(link)), client.get(view_url(link))):
        disposition = response["Content-Disposition"]
        assert disposition.isascii()
        assert "filename*=utf-8''R%C3%A9sum%C3%A9" in disposition
        assert "\r" not in disposition and "\n" not in disposition


def test_file_stored_under_another_name_keeps_its_own_type(root_collection):
    """S10: the served type comes from the stored file name, and nosniff is set, so an
    HTML payload in a ``.txt`` file is shown as text in a sandbox."""
    document = make_document("Notes", "notes.txt", b"<script>alert(1)</script>")
    document.file.save("notes.txt", ContentFile(b"<script>alert(1)</script>"))
    link = make_link(document, [ALICE])
    response = _verified(link).get(view_url(link))
    assert response["Content-Type"].startswith("text/plain")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


# -- page previews (issue 31): the same headers on every answer of a page link -----------


def _preview(link):
    return _verified(link).get(landing_url(link))


def _page_deleted(link):
    client = _verified(link)
    link.page.delete()
    return client.get(landing_url(link))


def _page_expired(link):
    import datetime

    import time_machine
    from django.utils import timezone

    client = _verified(link)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=31)):
        return client.get(landing_url(link))


def _previews_switched_off(link):
    from wagtail_securelink.models import SecureLinkPolicy

    client = _verified(link)
    policy = SecureLinkPolicy.load()
    policy.allow_page_previews = False
    policy.save()
    return client.get(landing_url(link))


PAGE_STATES = {
    "landing_without_grant": (lambda link: Client().get(landing_url(link)), 200),
    "preview": (_preview, 200),
    "preview_head": (lambda link: _verified(link).head(landing_url(link)), 405),
    "send_code": (lambda link: request_code(Client(), link, ALICE), 303),
    "enter_code_page": (lambda link: _pending(link).get(enter_code_url(link)), 200),
    "enter_code_wrong": (
        lambda link: _pending(link).post(enter_code_url(link), {"code": "12"}),
        400,
    ),
    "verified": (lambda link: verify(Client(), link, ALICE), 303),
    "csrf_failure": (_csrf_failure, 403),
    "sign_out": (lambda link: _verified(link).post(url("sign_out", link)), 200),
    "revoked": (_removed, 404),
    "expired": (_page_expired, 404),
    "page_deleted": (_page_deleted, 410),
    "previews_switched_off": (_previews_switched_off, 403),
    "download_of_a_page": (lambda link: _verified(link).get(download_url(link)), 403),
    "view_file_of_a_page": (lambda link: _verified(link).get(view_url(link)), 403),
}


@pytest.mark.parametrize("state", list(PAGE_STATES))
def test_every_page_link_response_has_the_headers(page_link, state):
    """S10 on a page preview: the rendered draft and every other answer of its token
    carry no-store, noindex, no-referrer, nosniff and are never framed."""
    make, status = PAGE_STATES[state]
    response = make(page_link)
    assert response.status_code == status
    for header, value in HEADERS.items():
        assert response.get(header) == value, header
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert not response.has_header("Content-Disposition")


def test_the_preview_keeps_none_of_the_headers_or_cookies_wagtail_set(
    page_link, monkeypatch
):
    """S10: whatever the page's own response carries (a cache header, framing allowed,
    a cookie) stays in Wagtail's dummy request; the reviewer gets the plugin's."""
    from django.http import HttpResponse
    from wagtail.models import Page

    def serve_preview(self, request, mode_name):
        response = HttpResponse(f"<html><body><h1>{self.title}</h1></body></html>")
        response["Cache-Control"] = "public, max-age=3600"
        response["X-Frame-Options"] = "ALLOWALL"
        response["Content-Security-Policy"] = "frame-ancestors *"
        response.set_cookie("tracker", "1")
        return response

    monkeypatch.setattr(Page, "serve_preview", serve_preview)
    response = _preview(page_link)
    assert b"<h1>Draft title v1</h1>" in response.content
    for header, value in HEADERS.items():
        assert response.get(header) == value, header
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Security-Policy"].startswith("frame-ancestors 'none'")
    assert "tracker" not in response.cookies
