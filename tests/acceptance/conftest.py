"""Fixtures for the acceptance tests: a throw-away example site and an SMTP server.

The site is ``tests/harness``'s: the example site under gunicorn (two workers,
``DEBUG=0``) on a temporary SQLite database and MEDIA_ROOT, with an SMTP sink that
keeps every message in memory. Nothing here touches pytest-django's test database.
"""

import pytest

from tests.harness.mail import smtp_sink, unlisted_recipients
from tests.harness.server import Site


@pytest.fixture(autouse=True)
def _media_root():
    """Override tests/conftest.py: the site under test has its own MEDIA_ROOT."""


@pytest.fixture(autouse=True)
def _clear_cache():
    """Override tests/conftest.py, whose version would create the test database."""


@pytest.fixture(scope="module")
def mailbox():
    with smtp_sink() as box:
        yield box


@pytest.fixture(scope="module")
def site(tmp_path_factory, mailbox):
    site = Site(tmp_path_factory.mktemp("example_site"), mailbox.port)
    # gunicorn's workers only import Django at boot, so they can start while the
    # database is migrated, which saves their boot time on a small machine.
    site.start_gunicorn(access_log=True)
    try:
        site.set_up(document_size=200_000)
        site.wait_until_serving()
        yield site
    finally:
        site.close()
    # The server has stopped gracefully, so any email its requests set off has been
    # handed to the SMTP server by now: this audit cannot race with a late send.
    leaked = unlisted_recipients(mailbox)
    assert not leaked, f"an unlisted address received email: {leaked}"
