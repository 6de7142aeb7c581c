"""SPEC §3–§5 in a real browser: an editor shares from the Wagtail admin, visitors read
their codes from mail received over SMTP, and a revoked link stops the next click.

The tests of this module run in order and build on one another (the editor's links,
the visitor's grant), as one person's afternoon would: ``story`` carries what one
step leaves to the next.
"""

import io
import re
import zipfile

import pytest

from tests.harness.mail import UNLISTED_DOMAIN, codes_sent_to, invitation_link

from .helpers import SENT, heading, sign_in_to_admin, verify

RUTH = "ruth@recipients.example.com"
SAM = "sam@recipients.example.com"
TESS = "tess@recipients.example.com"
MALLORY = f"mallory@{UNLISTED_DOMAIN}"
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def story():
    return {}


@pytest.fixture(scope="module")
def editor(browser, demo):
    """The editor's own browser, signed in to the Wagtail admin for the whole module."""
    context = browser.new_context(base_url=demo.base_url)
    context.set_default_timeout(15_000)
    context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=demo.base_url
    )
    page = context.new_page()
    sign_in_to_admin(page)
    yield page
    context.close()


@pytest.fixture(scope="module")
def tess(browser, demo):
    """Tess's browser: it must outlive one test, to click once more after the revoke."""
    context = browser.new_context(base_url=demo.base_url, accept_downloads=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_editor_shares_a_document_from_the_share_button_and_copies_the_link(
    editor, demo, mailbox, story
):
    editor.goto(f"/admin/documents/edit/{demo.ids['msa']}/")
    editor.get_by_role("link", name="Share", exact=True).click()
    editor.wait_for_url("**/share/")
    editor.get_by_label("People to share with").fill(f"{RUTH}, {SAM}")
    editor.get_by_label("Message").fill("The signed version, as discussed.")
    editor.locator("form[action*='/share/'] button[type=submit]").click()
    editor.wait_for_url("**/shared/")

    shown = editor.locator("#securelink-url").input_value()
    editor.get_by_role("button", name="Copy link").click()
    assert editor.evaluate("navigator.clipboard.readText()") == shown
    assert "Copied" in editor.locator("[data-securelink-copy-status]").inner_text()
    assert RUTH in editor.content() and SAM in editor.content()

    # Each recipient's invitation carries the same link.
    assert invitation_link(mailbox, RUTH) == shown
    assert invitation_link(mailbox, SAM) == shown
    story["document_url"] = shown


def test_recipient_one_verifies_previews_downloads_and_signs_out(
    new_context, mailbox, story
):
    context = new_context()
    page = context.new_page()
    page.goto(invitation_link(mailbox, RUTH))
    verify(page, mailbox, RUTH)

    assert heading(page) == "Master services agreement"
    assert "The signed version, as discussed." in page.locator(".message").inner_text()
    assert "admin" in page.locator("dl.meta").inner_text()

    # Preview: the PDF opens in a new tab, inline and sandboxed.
    with context.expect_event(
        "response",
        lambda r: r.url.endswith("/view/") and r.request.is_navigation_request(),
    ) as preview:
        page.get_by_role("link", name=re.compile("Open in the browser")).click()
    response = preview.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    headers = response.all_headers()
    assert headers["content-disposition"].startswith("inline")
    assert "sandbox" in headers["content-security-policy"]

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("^Download")).click()
    assert download.value.suggested_filename == "master-services-agreement.pdf"
    with open(download.value.path(), "rb") as file:
        assert file.read(5) == b"%PDF-"

    page.get_by_role("button", name="Sign out").click()
    assert heading(page) == "You have signed out"
    page.goto(story["document_url"])
    assert heading(page) == "Confirm your email address"


def test_recipient_twos_link_in_another_browser_with_an_unlisted_address_sends_nothing(
    new_context, mailbox, story
):
    sent_to_sam = codes_sent_to(mailbox, SAM)
    page = new_context().new_page()
    page.goto(invitation_link(mailbox, SAM))
    assert heading(page) == "Confirm your email address"
    page.get_by_label("Your email address").fill(MALLORY)
    page.get_by_role("button", name="Send code").click()

    # The same generic answer as for a listed address, with the address typed.
    assert heading(page) == "Enter your code"
    assert SENT in page.locator(".status").inner_text()
    assert MALLORY in page.locator(".status").inner_text()
    page.get_by_label("Code").fill("123456")
    page.get_by_role("button", name="Verify").click()
    assert "That code is not right" in page.locator(".error").inner_text()
    # Nothing for the unlisted address, and no code to Sam either (the session-end
    # audit of the mailbox checks again once the server has stopped).
    assert mailbox.to(MALLORY) == []
    assert codes_sent_to(mailbox, SAM) == sent_to_sam


def test_collection_link_browse_search_zip_and_upload(editor, tess, mailbox, story):
    editor.goto("/admin/securelink/collections/")
    editor.locator("tr", has_text="Contracts").get_by_role(
        "link", name="Share", exact=True
    ).first.click()
    editor.wait_for_url("**/share/")
    editor.get_by_label("People to share with").fill(TESS)
    editor.locator("input[name=role][value=edit]").check()
    editor.locator("form[action*='/share/'] button[type=submit]").click()
    editor.wait_for_url("**/shared/")
    story["collection_url"] = editor.locator("#securelink-url").input_value()

    page = tess
    page.goto(invitation_link(mailbox, TESS))
    verify(page, mailbox, TESS)
    assert heading(page) == "Contracts"

    # A subcollection, with breadcrumbs back up.
    page.get_by_role("link", name="Signed").click()
    assert heading(page) == "Signed"
    assert page.get_by_role(
        "link", name="Countersigned agreement", exact=True
    ).is_visible()
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Contracts"
    ).click()
    assert heading(page) == "Contracts"

    # Search by title.
    page.get_by_label("Search by title").fill("statement")
    page.get_by_role("button", name="Show").click()
    assert "1 document matches" in page.get_by_role("status").first.inner_text()
    titles = page.locator("table.documents tbody td:first-child").all_inner_texts()
    assert titles == ["Statement of work"]
    page.get_by_role("link", name="Clear search").click()

    # Everything, subcollection included, as one ZIP.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download all (ZIP)").click()
    with open(download.value.path(), "rb") as file:
        names = zipfile.ZipFile(io.BytesIO(file.read())).namelist()
    assert any(name.endswith("master-services-agreement.pdf") for name in names), names
    assert any("Signed/" in name for name in names), names

    # An edit link may add files.
    page.get_by_label("Upload a file").set_input_files(
        {
            "name": "meeting-notes.txt",
            "mimeType": "text/plain",
            "buffer": b"Notes from the visitor.\n",
        }
    )
    page.get_by_role("button", name="Upload", exact=True).click()
    assert "Your file was uploaded." in page.locator(".notice").inner_text()
    titles = page.locator("table.documents tbody td:first-child").all_inner_texts()
    assert any("meeting-notes" in title for title in titles), titles


def test_editor_revokes_in_manage_access_and_the_visitors_next_click_is_refused(
    editor, demo, tess
):
    editor.goto(f"/admin/securelink/collections/{demo.ids['contracts']}/access/")
    card = editor.locator("article.securelink-card").filter(has_text=TESS).first
    # A single revoke asks first (a page of its own, so it works without JavaScript).
    card.get_by_role("link", name="Revoke link").click()
    editor.get_by_role("button", name="Yes, revoke the link").click()
    editor.wait_for_load_state()
    assert (
        "Revoked"
        in editor.locator("article.securelink-card")
        .filter(has_text=TESS)
        .first.inner_text()
    )

    tess.get_by_role("link", name="Signed").click()
    assert heading(tess) == "This link has been removed or has expired"
