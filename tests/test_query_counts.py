"""Query counts on the hot paths, side by side with Wagtail's own serve view (SPEC §8).

No timings here (benchmarks/ measures those); only the number of SQL statements, which
does not depend on the machine. Transaction control (BEGIN, SAVEPOINT, RELEASE) is left
out of the counts: inside a test it is a savepoint, in production a BEGIN, and Wagtail's
view has none.
"""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_collection, make_document, make_link
from tests.helpers import download_url
from wagtail_securelink import services
from wagtail_securelink.verification import grants

ALICE = "alice@example.com"
# Ours against Wagtail's three (the document, its collection, the collection's view
# restrictions): the link with its document and the policy's version in one query, the
# grant with its recipient, and the one INSERT of the access event that S15 asks for on
# every download. The policy itself comes from this process's copy while its version
# is unchanged, and the hash chain is sealed later, in batches (tests/audit/test_chain.py), so
# sites seal as they ship: WAGTAIL_SECURELINK_AUDIT_SEAL_DELAY > 0; here < 0, so that no
# timer thread touches the test database.
AUDIT_APPEND = 1
# What the app adds to Wagtail's own serve view: one look-up of the privacy rows of the
# document and its collections (S16; the collection is already loaded by Wagtail).
PRIVACY_LOOKUP = 1
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("batched_sealing"),
]


@pytest.fixture
def batched_sealing(settings):
    settings.WAGTAIL_SECURELINK_AUDIT_SEAL_DELAY = -1


_TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT", "ROLLBACK")


def all_statements(client, url, **headers) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code in (200, 206), response.status_code
    return [query["sql"] for query in captured.captured_queries]


def statements(client, url, **headers) -> list[str]:
    return [
        sql
        for sql in all_statements(client, url, **headers)
        if not sql.upper().startswith(_TRANSACTION_CONTROL)
    ]


def verified_client(client, link):
    recipient = link.recipients.filter(email=ALICE).first()
    _grant, value = services.open_grant(
        link, RequestFactory().get("/"), recipient=recipient
    )
    client.cookies[grants.cookie_name(link, False)] = value
    return client


@pytest.fixture
def document():
    return make_document(filename="report.pdf", content=b"%PDF-1.4\n" + b"x" * 100_000)


def test_verified_download_against_wagtail_serve(client, document):
    # Kept public, so that Wagtail's own URL serves it to this visitor too.
    link = make_link(document, [ALICE], keep_public=True)
    verified_client(client, link)
    # Warm both paths (the first request creates the policy and chain-head rows).
    statements(client, download_url(link))
    statements(client, document.url)

    ours = statements(client, download_url(link))
    wagtails = statements(client, document.url)
    assert len(wagtails) == 3 + PRIVACY_LOOKUP
    # At most what Wagtail's view needs without the app (SPEC §9).
    assert len(ours) <= 3, ours
    # A range request costs the same as a whole download.
    assert len(statements(client, download_url(link), Range="bytes=0-99")) == len(ours)


def test_verified_download_writes_one_event_and_opens_no_transaction(client, document):
    """The one write of a download is the access event's INSERT, committed on its own.

    No BEGIN (on SQLite, ``transaction_mode: IMMEDIATE`` would take the database's only
    write lock before the reads) and no other write: the reads run in autocommit and
    the event is committed before the response (S15).
    """
    link = make_link(document, [ALICE])
    verified_client(client, link)
    all_statements(client, download_url(link))

    sql = all_statements(client, download_url(link))
    assert not [s for s in sql if s.upper().startswith(_TRANSACTION_CONTROL)], sql
    writes = [s for s in sql if not s.upper().startswith("SELECT")]
    assert len(writes) == 1, writes
    assert writes[0].startswith('INSERT INTO "wagtail_securelink_accessevent"')


def test_collection_download_costs_one_more_lookup(client, document):
    folder = make_collection("Shared")
    document.collection = folder
    document.save()
    link = make_link(folder, [ALICE])
    verified_client(client, link)
    url = reverse(
        "wagtail_securelink:collection_download", args=[link.token, document.pk]
    )
    statements(client, url)
    # The document is looked up inside the link's scope at request time (S11).
    assert len(statements(client, url)) == 2 + 1 + AUDIT_APPEND


def test_anyone_link_without_password_needs_no_grant(client, document):
    link = make_link(document, audience="anyone")
    statements(client, download_url(link))
    assert len(statements(client, download_url(link))) == 1 + AUDIT_APPEND


def test_collection_listing_and_search_do_not_grow(client):
    folder = make_collection("Big")
    link = make_link(folder, [ALICE])
    verified_client(client, link)
    landing = reverse("wagtail_securelink:landing", args=[link.token])

    def counts():
        return (
            len(statements(client, landing)),
            len(statements(client, landing + "?q=Doc")),
            len(statements(client, landing + "?sort=largest&page=2")),
        )

    for i in range(10):
        make_document(title=f"Doc {i}", filename=f"d{i}.txt", collection=folder)
    statements(client, landing)
    few = counts()
    for i in range(10, 130):
        make_document(title=f"Doc {i}", filename=f"d{i}.txt", collection=folder)
    assert counts() == few
