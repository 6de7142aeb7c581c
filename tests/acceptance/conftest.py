"""Fixtures for the acceptance tests: a throw-away example site and an SMTP server.

See ``servers.py``. Nothing here touches pytest-django's test database.
"""

import random

import pytest

from .servers import (
    HOST,
    SET_UP_SITE,
    UNLISTED_DOMAIN,
    Site,
    free_port,
    site_env,
    smtp_sink,
    start_server,
    stop_server,
    wait_until_serving,
)


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
    directory = tmp_path_factory.mktemp("example_site")
    port = free_port()
    site = Site(
        base_url=f"http://{HOST}:{port}",
        env=site_env(directory, f"http://{HOST}:{port}", mailbox.port),
        directory=directory,
    )
    # gunicorn's workers only import Django at boot, so they can start while the
    # database is migrated, which saves their boot time on a small machine.
    start_server(site, port)
    try:
        site.manage("migrate", "--noinput", "-v", "0")
        # Random bytes behind a PDF header: a download must return them unchanged.
        site.document_content = b"%PDF-1.4\n" + random.Random(8).randbytes(200_000)
        source = directory / "source.pdf"
        source.write_bytes(site.document_content)
        result = site.manage(
            "shell",
            "-v",
            "0",
            "-c",
            SET_UP_SITE,
            extra_env={
                "DOC_TITLE": "Quarterly report",
                "DOC_FILENAME": "quarterly-report.pdf",
                "DOC_SOURCE": str(source),
            },
        )
        site.document_id = int(result.stdout.strip().splitlines()[-1])
        wait_until_serving(site)
        yield site
    finally:
        stop_server(site)
    # The server has stopped gracefully, so any email its requests set off has been
    # handed to the SMTP server by now: this audit cannot race with a late send.
    leaked = [m.to for m in mailbox.messages if any(UNLISTED_DOMAIN in a for a in m.to)]
    assert not leaked, f"an unlisted address received email: {leaked}"
