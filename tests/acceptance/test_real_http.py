"""The specific-people flow of SPEC §3 against a real server, over real HTTP and SMTP.

The example site runs under gunicorn with two workers and ``DEBUG=0`` (see
``conftest.py``); links are made and revoked with the management commands, as an
operator would; the visitor is a ``requests.Session`` that reads its code from an
email received over SMTP.
"""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
import requests

from tests.harness.mail import UNLISTED_DOMAIN, Mailbox, code_from
from tests.harness.server import Site

pytestmark = pytest.mark.acceptance

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


class Forms(HTMLParser):
    """The forms of a page: action and the values of their named inputs."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action", ""), "fields": {}})
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value") or ""


class Visitor:
    """One browser: a cookie jar, and the habit of submitting the page's own forms."""

    def __init__(self, url: str):
        self.url = url
        self.http = requests.Session()
        self.page: requests.Response | None = None

    def get(self, url: str | None = None) -> requests.Response:
        self.page = self.http.get(url or self.url, allow_redirects=False, timeout=30)
        return self.page

    def submit(self, action_ends: str, **values: str) -> requests.Response:
        """Post the current page's form whose action ends with ``action_ends``."""
        forms = Forms(self.page.text).forms
        form = next((f for f in forms if f["action"].endswith(action_ends)), None)
        assert form is not None, f"no {action_ends!r} form in:\n{self.page.text}"
        assert form["fields"].get("csrfmiddlewaretoken"), "the form has no CSRF token"
        response = self.http.post(
            urljoin(self.page.url, form["action"]),
            data={**form["fields"], **values},
            allow_redirects=False,
            timeout=30,
        )
        if response.status_code != 303:
            self.page = response  # an error page carries the next form
        return response

    def follow(self, response: requests.Response) -> requests.Response:
        assert response.status_code in (302, 303), response.status_code
        return self.get(urljoin(response.url, response.headers["Location"]))

    def ask_for_code(self, address: str) -> requests.Response:
        page = self.get()
        assert page.status_code == 200
        assert "Confirm your email address" in page.text
        response = self.submit("/code/send/", email=address)
        assert response.status_code == 303
        return response


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


ALICE = "alice@recipients.example.com"
BOB = "bob@recipients.example.com"
CAROL = "carol@recipients.example.com"


@pytest.fixture(scope="module")
def url(site: Site) -> str:
    """One link for the tests that do not end it: each uses its own recipient and its
    own browser, so they do not depend on one another (and a Django start-up is saved
    for each link not made)."""
    return site.share("--to", ALICE, "--to", BOB, "--to", CAROL, "--no-email")


def test_listed_recipient_gets_the_code_by_email_and_the_exact_file(
    site: Site, mailbox: Mailbox, url: str
):
    alice = ALICE
    visitor = Visitor(url)
    visitor.follow(visitor.ask_for_code(alice))
    assert visitor.page.status_code == 200
    assert "If this address can open the item, we sent it a code" in visitor.page.text

    verified = visitor.submit("/code/", code=code_from(mailbox, alice))
    assert verified.status_code == 303
    document_page = visitor.follow(verified)
    assert document_page.status_code == 200
    assert "Quarterly report" in document_page.text
    assert document_page.headers["Cache-Control"] == "private, no-store"
    # DEBUG=0 under gunicorn serves no static files: the page links its stylesheet
    # but does not depend on it (no script, plain HTML).
    assert "/static/wagtail_securelink/visitor.css" in document_page.text

    download = visitor.get(url + "download/")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.content == site.document_content
    # Each email went to its recipient only.
    assert {tuple(m.to) for m in mailbox.to(alice)} == {(alice,)}


def test_unlisted_address_gets_the_same_answer_and_no_email(mailbox: Mailbox, url: str):
    bob = BOB
    mallory = f"mallory@{UNLISTED_DOMAIN}"

    # The unlisted address goes first: whatever it might set off would be sent
    # before Bob's code, which we wait for below.
    intruder, recipient = Visitor(url), Visitor(url)
    unlisted = intruder.ask_for_code(mallory)
    listed = recipient.ask_for_code(bob)
    assert (unlisted.status_code, unlisted.headers["Location"], unlisted.content) == (
        listed.status_code,
        listed.headers["Location"],
        listed.content,
    )

    unlisted_page = intruder.follow(unlisted)
    listed_page = recipient.follow(listed)
    assert unlisted_page.status_code == listed_page.status_code == 200

    def normalise(html, address):
        return CSRF_RE.sub("", html.replace(address, "ADDRESS"))

    assert normalise(unlisted_page.text, mallory) == normalise(listed_page.text, bob)

    code_from(mailbox, bob)
    assert mailbox.to(mallory) == []
    assert len(mailbox.to(bob)) == 1
    # What the intruder types in the code form is refused like any wrong code.
    response = intruder.submit("/code/", code="123456")
    assert response.status_code == 400
    assert "Tries left: 4" in response.text


def test_five_wrong_codes_kill_the_code(mailbox: Mailbox, url: str):
    carol = CAROL
    visitor = Visitor(url)
    visitor.follow(visitor.ask_for_code(carol))
    right = code_from(mailbox, carol)

    for left in (4, 3, 2, 1):
        response = visitor.submit("/code/", code=wrong(right))
        assert response.status_code == 400
        assert f"Tries left: {left}." in response.text
    response = visitor.submit("/code/", code=wrong(right))
    assert response.status_code == 400
    assert "This code can no longer be used" in response.text
    assert 'name="code"' not in response.text  # no code form on a dead code

    # The right code is dead too. The page offers no code form, so post it by hand
    # with the page's CSRF token, as a script would.
    token = Forms(response.text).forms[0]["fields"]["csrfmiddlewaretoken"]
    late = visitor.http.post(
        url + "code/",
        data={"csrfmiddlewaretoken": token, "code": right},
        allow_redirects=False,
        timeout=30,
    )
    assert late.status_code == 400
    assert "This code can no longer be used" in late.text
    assert visitor.get(url + "download/").status_code == 302


def test_revoking_with_the_command_ends_access_on_the_next_request(
    site: Site, mailbox: Mailbox
):
    dave = "dave@recipients.example.com"
    url = site.share("--to", dave, "--message", "Figures inside")
    invitation = mailbox.wait_for(dave)
    assert invitation.to == [dave]
    assert url in invitation.body
    assert "Figures inside" in invitation.body

    visitor = Visitor(url)
    visitor.follow(visitor.ask_for_code(dave))
    assert visitor.submit("/code/", code=code_from(mailbox, dave)).status_code == 303
    assert visitor.get(url + "download/").status_code == 200

    result = site.manage("securelink_revoke", url)
    assert "Revoked link" in result.stdout

    for path in ("download/", "view/", ""):
        response = visitor.get(url + path)
        assert response.status_code == 404
        assert "This link has been removed or has expired" in response.text
