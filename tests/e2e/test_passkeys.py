"""Passkeys (SPEC §2, issue 29) in a real browser: Chromium with a virtual
authenticator (Chrome DevTools Protocol, ``WebAuthn.*``) against the example site.

An outsider proves their address with an emailed code on a first link, saves a
passkey, and opens a second link shared with the same address with the passkey
alone: no email is sent. The passkey does not open a link shared with another
address: the page asks for a code, in the same words as for any refusal (S7).

The tests of this module run in order: the passkey the first one saves is the one the
others use (one browser profile, ``pia``, for the whole module; its cookies are
cleared between links, so no grant or session carries over, only the authenticator).
The pages' Content-Security-Policy stays on (no ``bypass_csp``, unlike the axe
tests): it must let passkeys.js run and reach the site.
"""

import pytest

from tests.harness.mail import codes_sent_to

from .helpers import heading, verify

pytestmark = pytest.mark.e2e

PIA = "pia@recipients.example.com"
QUINN = "quinn@recipients.example.com"
SAVED = "Passkey saved."
REFUSED = "This passkey cannot open this link now. Ask for a code by email instead."
VIRTUAL_AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


@pytest.fixture(scope="module")
def links(demo):
    """Two links shared with Pia (two documents), one shared with Quinn only."""
    first, second, quinns = demo.share(
        ("Master services agreement", [PIA]),
        ("Statement of work", [PIA, QUINN]),
        ("Press release", [QUINN]),
    )
    return {"first": first, "second": second, "quinns": quinns}


class Browser:
    """Pia's browser: one page, and the virtual authenticator that holds her passkey."""

    def __init__(self, context):
        self.context = context
        self.page = context.new_page()
        self.cdp = context.new_cdp_session(self.page)
        self.cdp.send("WebAuthn.enable")
        self.authenticator = self.cdp.send(
            "WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_AUTHENTICATOR}
        )["authenticatorId"]
        # Every request the page makes, to show which ones a passkey visit does not.
        self.requests: list[tuple[str, str]] = []
        self.page.on("request", lambda r: self.requests.append((r.method, r.url)))

    def credentials(self) -> list[dict]:
        return self.cdp.send(
            "WebAuthn.getCredentials", {"authenticatorId": self.authenticator}
        )["credentials"]

    def forget_the_site(self) -> None:
        """No grant cookie, no session, no CSRF cookie: only the passkey remains."""
        self.context.clear_cookies()
        assert self.context.cookies() == []
        self.requests.clear()


@pytest.fixture(scope="module")
def pia(browser, demo):
    context = browser.new_context(base_url=demo.base_url, accept_downloads=True)
    context.set_default_timeout(15_000)
    yield Browser(context)
    context.close()


def use_a_passkey(page) -> None:
    button = page.get_by_role("button", name="Use a passkey")
    button.wait_for()  # passkeys.js shows the section once it has run
    button.click()


def test_after_a_code_pia_saves_a_passkey_and_gets_the_document(pia, links, mailbox):
    page = pia.page
    page.goto(links["first"])
    # The email form and, beside it, "Use a passkey": the site's policy offers
    # passkeys (the default, "offered after a code"). No passkey yet: not used here.
    page.get_by_role("button", name="Use a passkey").wait_for()
    verify(page, mailbox, PIA)
    assert heading(page) == "Master services agreement"

    assert pia.credentials() == []
    page.get_by_role("heading", name="Save a passkey for next time").wait_for()
    page.get_by_role("button", name="Save a passkey").click()
    page.get_by_text(SAVED).wait_for()
    # Saved once: the button goes (the stylesheet used to keep it on screen).
    assert not page.get_by_role("button", name="Save a passkey").is_visible()

    (credential,) = pia.credentials()
    assert credential["rpId"] == "localhost"  # BASE_URL's host, as the site derives it
    assert (
        credential["isResidentCredential"] is True
    )  # discoverable: the page names no one
    assert credential["signCount"] == 1

    with page.expect_download() as download:
        page.get_by_role("link", name="Download").first.click()
    with open(download.value.path(), "rb") as file:
        assert file.read(5) == b"%PDF-"


def test_on_a_second_link_the_passkey_opens_the_document_and_no_email_is_sent(
    pia, links, mailbox
):
    page = pia.page
    pia.forget_the_site()
    messages, codes = mailbox.count, codes_sent_to(mailbox, PIA)

    page.goto(links["second"])
    assert heading(page) == "Confirm your email address"
    use_a_passkey(page)
    page.get_by_role("heading", name="Statement of work").wait_for()

    # In with the passkey alone: no code asked for, none sent, no email at all.
    sent = [url for method, url in pia.requests if "/code/" in url]
    assert sent == [], sent
    assert mailbox.count == messages
    assert codes_sent_to(mailbox, PIA) == codes
    (credential,) = pia.credentials()
    assert credential["signCount"] == 2

    with page.expect_download() as download:
        page.get_by_role("link", name="Download").first.click()
    assert download.value.suggested_filename.startswith("statement-of-work")

    # The grant is the browser's now: the document opens again without the passkey.
    page.goto(links["second"])
    assert heading(page) == "Statement of work"


def test_the_passkey_does_not_open_a_link_shared_with_another_address(
    pia, links, mailbox
):
    page = pia.page
    pia.forget_the_site()
    messages = mailbox.count

    page.goto(links["quinns"])
    assert heading(page) == "Confirm your email address"
    use_a_passkey(page)
    status = page.locator("[data-passkey-sign-in] [data-passkey-status]")
    page.get_by_text(REFUSED).wait_for()
    assert status.inner_text() == REFUSED
    # Still the email form: the way in is a code, for whoever the link is shared with.
    assert heading(page) == "Confirm your email address"
    assert page.get_by_label("Your email address").is_visible()
    assert mailbox.count == messages
    # The authenticator answered (its counter moved), and the site said no.
    assert pia.credentials()[0]["signCount"] == 3
