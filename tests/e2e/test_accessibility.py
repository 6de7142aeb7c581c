"""WCAG 2.2 AA on the visitor pages and the editor's pages (SPEC §4).

axe-core (from the npm registry, injected into each page) must find nothing at all on
the visitor pages, and nothing but minor findings on the package's admin pages; every
visitor page must reflow to 320 CSS pixels without sideways
scrolling; the code field must be announced with its label, its purpose and its error;
and the whole visitor flow must work with the keyboard alone, with a visible focus at
every stop.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.harness.mail import code_from, codes_sent_to

from .helpers import (
    ADMIN_BLOCKING,
    EVERY_IMPACT,
    axe,
    focus_ring,
    sign_in_to_admin,
    tab_to,
)
from .site import PASSWORD

pytestmark = pytest.mark.e2e

UMA = "uma@recipients.example.com"
VIC = "vic@recipients.example.com"
PHONE = {"width": 320, "height": 640}


@pytest.fixture(scope="module")
def links(demo):
    """A collection link that may edit (folder, document and upload pages) and a
    document link for the keyboard test, made with the management command."""

    def share(*args):
        result = demo.site.manage("securelink_share", *args, "--no-email")
        return result.stdout.strip().splitlines()[-1]

    return {
        "folder": share(
            "--collection",
            str(demo.ids["contracts"]),
            "--to",
            UMA,
            "--role",
            "edit",
            "--message",
            "Everything for the closing.",
        ),
        "document": share("--document", str(demo.ids["msa"]), "--to", VIC),
    }


def check(page, axe_source, axe_results, *, reflow=True, blocking=EVERY_IMPACT):
    """axe on the page as it is, then the same page at 320 px wide."""
    blocking = axe(page, axe_source, axe_results, blocking=blocking)
    assert not blocking, f"{page.title()}: {blocking}"
    if reflow:
        size = page.viewport_size
        page.set_viewport_size(PHONE)
        width = page.evaluate("document.documentElement.scrollWidth")
        page.set_viewport_size(size)
        assert width <= PHONE["width"], f"{page.title()} scrolls sideways at 320 px"


def test_every_visitor_page(new_context, demo, mailbox, links, axe_source, axe_results):
    # bypass_csp: the pages forbid every script, axe included.
    page = new_context(bypass_csp=True).new_page()

    page.goto(links["folder"])
    check(page, axe_source, axe_results)  # Confirm your email address
    page.get_by_label("Your email address").fill("not an address")
    page.get_by_role("button", name="Send code").click()
    check(page, axe_source, axe_results)  # … with an error

    before = codes_sent_to(mailbox, UMA)
    page.get_by_label("Your email address").fill(UMA)
    page.get_by_role("button", name="Send code").click()
    check(page, axe_source, axe_results)  # Enter your code
    page.get_by_label("Code").fill("12")
    page.get_by_role("button", name="Verify").click()
    check(page, axe_source, axe_results)  # … with an error
    page.get_by_label("Code").fill(code_from(mailbox, UMA, after=before))
    page.get_by_role("button", name="Verify").click()

    check(page, axe_source, axe_results)  # the folder
    page.get_by_role("link", name="Signed").click()
    check(page, axe_source, axe_results)  # a subfolder, with breadcrumbs
    page.get_by_role("link", name="Countersigned agreement", exact=True).click()
    check(page, axe_source, axe_results)  # a document inside the folder
    page.get_by_label("Upload a new version").set_input_files(
        {"name": "empty.pdf", "mimeType": "application/pdf", "buffer": b""}
    )
    page.get_by_role("button", name="Upload", exact=True).click()
    check(page, axe_source, axe_results)  # … with an upload error, if any
    page.get_by_role("button", name="Sign out").click()
    check(page, axe_source, axe_results)  # You have signed out

    page.goto(demo.ids["password_url"])
    check(page, axe_source, axe_results)  # Password required
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Open").click()
    check(page, axe_source, axe_results)  # … with an error
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Open").click()
    check(page, axe_source, axe_results)  # a document link's page (plain text)

    page.goto("/share/not-a-link/")
    check(page, axe_source, axe_results)  # This link has been removed or has expired


def test_the_packages_admin_pages(new_context, demo, links, axe_source, axe_results):
    """Every admin page of the package, with its states: none but minor findings."""
    page = new_context(bypass_csp=True).new_page()
    sign_in_to_admin(page)

    def admin(address=None):
        if address:
            page.goto(address)
        check(page, axe_source, axe_results, reflow=False, blocking=ADMIN_BLOCKING)

    admin(f"/admin/securelink/documents/{demo.ids['msa']}/share/")
    page.get_by_label("People to share with").fill("not-an-address, wendy@example.com")
    page.locator("form[action*='/share/'] button[type=submit]").click()
    admin()  # the form with an error
    page.get_by_label("People to share with").fill("wendy@example.com")
    page.locator("form[action*='/share/'] button[type=submit]").click()
    admin()  # the share result, with its copy field
    admin(f"/admin/securelink/collections/{demo.ids['contracts']}/share/")
    admin(f"/admin/securelink/documents/{demo.ids['msa']}/access/")
    admin(f"/admin/securelink/collections/{demo.ids['contracts']}/access/")
    page.get_by_role("link", name="Revoke link").first.click()
    admin()  # the confirmation before a single revoke
    admin("/admin/securelink/collections/")
    admin("/admin/securelink/shared-links/")
    admin("/admin/securelink/activity/")


def test_the_code_field_is_announced_with_its_purpose_and_its_error(new_context, links):
    page = new_context().new_page()
    page.goto(links["document"])
    page.get_by_label("Your email address").fill("vic.nobody@unlisted.example.net")
    page.get_by_role("button", name="Send code").click()

    code = page.get_by_role("textbox", name="Code")
    expect(code).to_be_focused()  # autofocus: the visitor can type at once
    expect(code).to_have_attribute("autocomplete", "one-time-code")
    expect(code).to_have_attribute("inputmode", "numeric")
    code.fill("000000")
    page.get_by_role("button", name="Verify").click()

    code = page.get_by_role("textbox", name="Code")
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(code).to_have_accessible_description(
        re.compile(r"That code is not right\. Tries left: 4\.")
    )
    expect(code).to_be_focused()


def test_the_whole_visitor_flow_with_the_keyboard_alone(new_context, mailbox, links):
    page = new_context().new_page()
    page.goto(links["document"])  # opening the link from the email

    before = codes_sent_to(mailbox, VIC)
    assert focus_ring(page)["tag"] == "input"  # the address field has the focus
    page.keyboard.type(VIC)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Enter your code")
    page.keyboard.type(code_from(mailbox, VIC, after=before))
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Master services agreement")

    # The first Tab reaches the skip link, shown on screen while focused.
    skip = tab_to(page, "Skip to content", limit=1)
    assert skip["visible"]
    box = page.evaluate("document.activeElement.getBoundingClientRect().top")
    assert box >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    tab_to(page, "Download")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == "master-services-agreement.pdf"

    tab_to(page, "Sign out")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("You have signed out")


def test_view_only_viewer_and_terms(
    new_context, demo, mailbox, axe_source, axe_results
):
    """The view-only viewer, its terms page, and its keyboard use: axe finds
    nothing, the page reflows, and Tab reaches the pages' links, the zoom and the
    scrollable page frame."""
    reader = "wes@recipients.example.com"
    url = (
        demo.site.manage(
            "securelink_share",
            "--document",
            str(demo.ids["msa"]),
            "--to",
            reader,
            "--role",
            "view",
            "--no-email",
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    page = new_context(bypass_csp=True).new_page()
    page.goto(url)
    before = codes_sent_to(mailbox, reader)
    page.get_by_label("Your email address").fill(reader)
    page.get_by_role("button", name="Send code").click()
    page.get_by_label("Code").fill(code_from(mailbox, reader, after=before))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("img", name=re.compile(r"Page 1 of \d+"))).to_be_visible()
    check(page, axe_source, axe_results)  # the viewer
    tab_to(page, "150 %")  # the pages and zoom links, each with a visible focus
    for _ in range(30):  # on to the scrollable page frame (no text of its own)
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('page-frame')"):
            break
    ring = focus_ring(page)
    assert ring["outline"] or ring["shadow"]
    page.keyboard.press("ArrowDown")  # scrolls the frame, not an error
    page.get_by_role("link", name="150 %").click()
    check(page, axe_source, axe_results)  # zoomed
