"""``HEAD`` on a verified download answers as ``GET`` would, without a body, and counts
nothing: no download taken, no access event, no signal."""

import pytest
from django.urls import reverse
from wagtail.documents.models import document_served

from tests.factories import make_collection, make_document, make_link
from tests.helpers import download_url, verified, view_url
from wagtail_securelink.choices import EventType
from wagtail_securelink.models import AccessEvent, Recipient

pytestmark = pytest.mark.django_db
ALICE = "alice@example.com"
CONTENT = b"%PDF-1.4 head test " * 100


def downloads():
    return AccessEvent.objects.filter(
        event__in=[EventType.DOWNLOADED, EventType.VIEWED]
    ).count()


@pytest.fixture
def served():
    seen = []

    def on_served(**kwargs):
        seen.append(kwargs["instance"])

    document_served.connect(on_served, weak=False)
    yield seen
    document_served.disconnect(on_served)


def test_head_is_answered_like_get_and_counts_nothing(client, root_collection, served):
    document = make_document(title="Data", filename="data.pdf", content=CONTENT)
    link = make_link(document, [ALICE], max_downloads=1)
    verified(client, link)
    events = downloads()
    for url in (download_url(link), view_url(link)):
        head = client.head(url)
        assert head.status_code == 200, url
        assert b"".join(head.streaming_content) == b""  # the server drops it
        assert head["Content-Length"] == str(len(CONTENT))
        assert "Content-Disposition" in head
    assert downloads() == events
    assert served == []
    link.refresh_from_db()
    assert link.download_count == 0
    assert Recipient.objects.get(email=ALICE).download_count == 0
    # The one download is still there for the GET, which takes it.
    response = client.get(download_url(link))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CONTENT
    assert downloads() == events + 1
    assert len(served) == 1
    # Once used up, HEAD says so as GET does, and still takes nothing.
    assert client.head(download_url(link)).status_code == 403
    assert client.get(download_url(link)).status_code == 403


def test_head_on_a_zip_reads_and_counts_nothing(client, root_collection, served):
    folder = make_collection("Plans")
    make_document(title="One", collection=folder, content=CONTENT)
    link = make_link(folder, [ALICE], max_downloads=1)
    verified(client, link)
    zip_url = reverse("wagtail_securelink:zip", args=[link.token])
    events = downloads()
    head = client.head(zip_url)
    assert head.status_code == 200
    assert head["Content-Type"] == "application/zip"
    assert b"".join(head.streaming_content) == b""
    assert downloads() == events and served == []
    link.refresh_from_db()
    assert link.download_count == 0
    assert client.get(zip_url).status_code == 200


def test_head_without_access_goes_to_the_landing_page(client, root_collection):
    link = make_link(make_document(content=CONTENT), [ALICE])
    assert client.head(download_url(link)).status_code == 302
