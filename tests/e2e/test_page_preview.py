"""SPEC §2 *Page preview* in a real browser: an editor shares the draft of a page from
the Wagtail editor, a reviewer outside the CMS proves their address with the emailed
code, sees the draft as it changes, comments, and loses the page once it is revoked.

The tests run in order and build on one another (the editor's browser, the
reviewer's grant), as one review would: ``story`` carries what one step leaves to
the next.
"""

import pytest

from tests.harness.mail import (
    UNLISTED_DOMAIN,
    code_from,
    codes_sent_to,
    invitation_link,
)

from .helpers import EVERY_IMPACT, axe, sign_in_to_admin

pytestmark = pytest.mark.e2e

PIA = "pia@recipients.example.com"
FORWARDER = f"forwarder@{UNLISTED_DOMAIN}"
DRAFT_TITLE = "Spring launch: new pricing (draft)"  # load_demo's draft, never live
NEW_TITLE = "Spring launch: final pricing"
COMMENT = 'The price table needs a footnote. <script>alert("x")</script>'
SENT = "If this address can open the item, we sent it a code"
BANNER = "[data-securelink-preview-banner]"


@pytest.fixture(scope="module")
def story():
    return {}


@pytest.fixture(scope="module")
def editor(browser, demo):
    context = browser.new_context(base_url=demo.base_url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in_to_admin(page)
    yield page
    context.close()


@pytest.fixture(scope="module")
def reviewer(browser, demo):
    """Pia's browser. ``bypass_csp``: the verify pages forbid every script, axe's too."""
    context = browser.new_context(base_url=demo.base_url, bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def heading(page) -> str:
    return page.locator("h1").first.inner_text().strip()


def no_findings(page, axe_source, axe_results, include=None):
    """axe finds nothing at all, on the whole page or inside ``include``."""
    if include is not None:
        page.wait_for_load_state()
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(content=axe_source)
        found = page.evaluate(
            """async ([selector, tags]) => {
                const r = await axe.run({include: [selector]},
                                        {runOnly: {type: 'tag', values: tags}});
                return r.violations.map(v => ({id: v.id, impact: v.impact,
                    nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
            }""",
            [include, ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]],
        )
        axe_results[f"{page.title()} (banner)"] = found
    else:
        found = axe(page, axe_source, axe_results, blocking=EVERY_IMPACT)
    assert not found, f"{page.title()}: {found}"


def test_editor_shares_the_draft_from_the_page_editor(editor, demo, mailbox, story):
    editor.goto(f"/admin/pages/{demo.ids['page']}/edit/")
    share = editor.locator(f"a[href$='/pages/{demo.ids['page']}/share/']").first
    if not share.is_visible():  # Wagtail keeps header buttons in its "more" menu
        editor.get_by_role("button", name="Actions", exact=True).first.click()
    share.click()
    editor.wait_for_url("**/share/")
    assert "Share a preview" in heading(editor)
    editor.get_by_label("People to share with").fill(PIA)
    editor.get_by_label("Reviewers may comment").check()
    editor.locator("form[action*='/share/'] button[type=submit]").click()
    editor.wait_for_url("**/shared/")
    shown = editor.locator("#securelink-url").input_value()
    assert PIA in editor.content()
    assert invitation_link(mailbox, PIA) == shown
    story["url"] = shown


def test_reviewer_proves_the_address_and_sees_the_current_draft(
    reviewer, mailbox, story, axe_source, axe_results
):
    reviewer.goto(invitation_link(mailbox, PIA))
    assert heading(reviewer) == "Confirm your email address"
    no_findings(reviewer, axe_source, axe_results)
    before = codes_sent_to(mailbox, PIA)
    reviewer.get_by_label("Your email address").fill(PIA)
    reviewer.get_by_role("button", name="Send code").click()
    assert heading(reviewer) == "Enter your code"
    assert SENT in reviewer.locator(".status").inner_text()
    no_findings(reviewer, axe_source, axe_results)
    reviewer.get_by_label("Code").fill(code_from(mailbox, PIA, after=before))
    reviewer.get_by_role("button", name="Verify").click()

    assert heading(reviewer) == DRAFT_TITLE
    banner = reviewer.locator(BANNER)
    assert "Preview, not published" in banner.inner_text()
    assert "latest draft" in banner.inner_text()
    # Nothing of the Wagtail admin reaches the reviewer: no user bar, no edit link.
    assert reviewer.locator("wagtail-userbar, .w-userbar").count() == 0
    no_findings(reviewer, axe_source, axe_results, include=BANNER)


def test_a_new_draft_shows_on_the_reviewers_reload(editor, reviewer, demo):
    editor.goto(f"/admin/pages/{demo.ids['page']}/edit/")
    editor.locator("#id_title").fill(NEW_TITLE)
    editor.get_by_role("button", name="Save draft").click()
    editor.wait_for_load_state()
    reviewer.reload()
    assert heading(reviewer) == NEW_TITLE


def test_reviewer_comments_and_the_editor_reads_it_on_manage_access(
    editor, reviewer, demo, mailbox, axe_source, axe_results
):
    reviewer.get_by_text("Comment on this page").click()
    no_findings(reviewer, axe_source, axe_results, include=BANNER)  # the form open
    reviewer.get_by_label("Your comment").fill(COMMENT)
    reviewer.get_by_role("button", name="Send comment").click()
    assert "your comment was sent" in reviewer.locator(BANNER).inner_text()
    assert heading(reviewer) == NEW_TITLE
    no_findings(reviewer, axe_source, axe_results, include=BANNER)

    # The sharer is the demo admin; the notice arrives over SMTP, text as typed.
    notice = mailbox.wait_for(
        "admin@example.com", lambda m: "commented on the preview" in m.body
    )
    assert COMMENT in notice.body

    editor.goto(f"/admin/securelink/pages/{demo.ids['page']}/access/")
    card = editor.locator("article.securelink-card").filter(has_text=PIA).first
    comment = card.locator(".securelink-comment").first
    assert PIA in comment.inner_text()
    # Shown as text: the script is words on the page, not an element.
    assert COMMENT in comment.locator(".securelink-comment__body").inner_text()
    assert card.locator(".securelink-comment script").count() == 0


def test_a_forwarded_link_asks_for_a_code_and_mails_nobody_but_the_reviewer(
    new_context, mailbox, story
):
    forwarded = new_context().new_page()
    forwarded.goto(story["url"])
    assert heading(forwarded) == "Confirm your email address"
    assert NEW_TITLE not in forwarded.content()
    forwarded.get_by_label("Your email address").fill(FORWARDER)
    forwarded.get_by_role("button", name="Send code").click()
    assert SENT in forwarded.locator(".status").inner_text()
    assert codes_sent_to(mailbox, FORWARDER) == 0
    # The session's teardown also fails if any message ever reached UNLISTED_DOMAIN.
    assert not [m for m in mailbox.messages if FORWARDER in m.to]


def test_after_the_editor_revokes_the_reviewers_next_request_shows_the_removed_page(
    editor, reviewer, demo
):
    editor.goto(f"/admin/securelink/pages/{demo.ids['page']}/access/")
    card = editor.locator("article.securelink-card").filter(has_text=PIA).first
    card.get_by_role("link", name="Revoke link").click()
    editor.get_by_role("button", name="Yes, revoke the link").click()
    editor.wait_for_load_state()
    assert (
        "Revoked"
        in editor.locator("article.securelink-card")
        .filter(has_text=PIA)
        .first.inner_text()
    )
    reviewer.reload()
    assert heading(reviewer) == "This link has been removed or has expired"
    assert NEW_TITLE not in reviewer.content()
