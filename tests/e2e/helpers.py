"""What the browser tests do again and again: sign in, run axe, use the keyboard.

Reading the codes and links in the mail: ``tests/harness/mail.py``."""

from tests.harness.mail import code_from, codes_sent_to

ADMIN = ("admin", "changeme")  # load_demo's superuser
# WCAG 2.0, 2.1 and 2.2, levels A and AA, plus axe's best practices.
AXE_TAGS = [
    "wcag2a",
    "wcag2aa",
    "wcag21a",
    "wcag21aa",
    "wcag22aa",
    "best-practice",
]
BLOCKING = {"serious", "critical"}
# The visitor pages have no finding at all; the package's admin pages none
# but minor ones (Wagtail's own furniture around them is not ours to change).
EVERY_IMPACT = {"minor", "moderate", "serious", "critical"}
ADMIN_BLOCKING = {"moderate", "serious", "critical"}


SENT = "If this address can open the item, we sent it a code"


def heading(page) -> str:
    return page.locator("h1").first.inner_text().strip()


def verify(page, mailbox, address: str) -> None:
    """From the "Confirm your email address" page to the item, with the emailed code."""
    before = codes_sent_to(mailbox, address)
    assert heading(page) == "Confirm your email address"
    page.get_by_label("Your email address").fill(address)
    page.get_by_role("button", name="Send code").click()
    assert heading(page) == "Enter your code"
    assert SENT in page.locator(".status").inner_text()
    page.get_by_label("Code").fill(code_from(mailbox, address, after=before))
    page.get_by_role("button", name="Verify").click()


def sign_in_to_admin(page) -> None:
    page.goto("/admin/login/")
    page.fill("#id_username", ADMIN[0])
    page.fill("#id_password", ADMIN[1])
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/")


def axe(
    page, source: str, results: dict | None = None, blocking=BLOCKING
) -> list[dict]:
    """Run axe-core on the page; return its violations of the ``blocking`` impacts.

    ``results``, when given, collects every violation by page title, for the report.
    """
    # After a click that navigates, the next document may not have its <head> yet.
    page.wait_for_load_state()
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=source)
    report = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
            }));
        }""",
        AXE_TAGS,
    )
    if results is not None:
        title, n = page.title(), 2
        while title in results:
            title, n = f"{page.title()} ({n})", n + 1
        results[title] = report
    return [v for v in report if v["impact"] in blocking]


def focus_ring(page) -> dict:
    """The focused element's name and the styles that make its focus visible."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const s = getComputedStyle(el);
            return {
                tag: el.tagName.toLowerCase(),
                text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim(),
                outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
                shadow: s.boxShadow !== 'none',
                visible: el.getBoundingClientRect().width > 0,
            };
        }"""
    )


def tab_to(page, text: str, limit: int = 30) -> dict:
    """Press Tab until the focused element's text contains ``text``; every stop on the
    way must show a focus indicator (WCAG 2.4.7)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = focus_ring(page)
        assert focused["outline"] or focused["shadow"], f"no visible focus: {focused}"
        if text in focused["text"]:
            return focused
    raise AssertionError(f"{text!r} not reached with {limit} presses of Tab")
