"""Fixtures for the browser tests: the demo site, an SMTP server, Chromium, axe.

Run by ``make test-e2e`` only (the default run deselects the ``e2e`` marker).
"""

from collections import Counter

import pytest

from tests.harness.mail import smtp_sink, unlisted_recipients

from .site import AXE_JS, CHROMIUM, CHROMIUM_ARGS, start_demo

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="pip install -e '.[e2e]' (make test-e2e does)"
)


@pytest.fixture(autouse=True)
def _media_root():
    """Override tests/conftest.py: the site under test has its own MEDIA_ROOT."""


@pytest.fixture(autouse=True)
def _clear_cache():
    """Override tests/conftest.py, whose version would create the test database."""


@pytest.fixture(scope="session")
def mailbox():
    with smtp_sink() as box:
        yield box


@pytest.fixture(scope="session")
def demo(tmp_path_factory, mailbox):
    demo = start_demo(tmp_path_factory.mktemp("e2e_site"), mailbox.port)
    try:
        yield demo
    finally:
        demo.site.close()
    leaked = unlisted_recipients(mailbox)
    assert not leaked, f"an unlisted address received email: {leaked}"


@pytest.fixture(scope="session")
def browser():
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_context(browser, demo):
    """Open fresh browser contexts (each a new browser profile: own cookies)."""
    contexts = []

    def make(**options):
        context = browser.new_context(
            base_url=demo.base_url, accept_downloads=True, **options
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


@pytest.fixture(scope="session")
def axe_source():
    if not AXE_JS.exists():
        pytest.fail(
            f"{AXE_JS} is missing: run `make test-e2e`, which installs axe-core"
        )
    return AXE_JS.read_text()


# Every axe run of the session: page title -> violations, summed up at the end.
AXE_RESULTS: dict[str, list[dict]] = {}


@pytest.fixture(scope="session")
def axe_results():
    return AXE_RESULTS


def pytest_terminal_summary(terminalreporter):
    if not AXE_RESULTS:
        return
    terminalreporter.section(
        "axe-core: violations by page (WCAG 2.2 A/AA + best practice)"
    )
    for title, violations in AXE_RESULTS.items():
        impacts = Counter(v["impact"] for v in violations)
        summary = ", ".join(f"{n} {impact}" for impact, n in sorted(impacts.items()))
        rules = " ".join(sorted({v["id"] for v in violations}))
        terminalreporter.write_line(
            f"{title}: {summary or 'none'}{f' ({rules})' if rules else ''}"
        )
