"""Signals (``wagtail_securelink.signals``) and Wagtail's ``document_served`` (SPEC §8).

Download analytics that listen to Wagtail's ``document_served`` see secure downloads
too: one signal per file that leaves, after every check, never for a refused request.
"""

import pytest
from django.urls import reverse
from wagtail.documents.models import document_served

from tests.factories import make_collection, make_document, make_link
from tests.helpers import download_url, verify
from wagtail_securelink import services, signals

pytestmark = pytest.mark.django_db
ALICE = "alice@example.com"


@pytest.fixture
def served():
    received = []

    def listener(sender, instance, request, **kwargs):
        received.append((sender, instance.pk, request.path))

    document_served.connect(listener)
    yield received
    document_served.disconnect(listener)


@pytest.fixture
def accessed():
    received = []

    def listener(sender, link, document, action, request, **kwargs):
        received.append((link.pk, document.pk, action))

    signals.item_accessed.connect(listener)
    yield received
    signals.item_accessed.disconnect(listener)


def test_a_secure_download_sends_document_served_and_item_accessed(
    client, served, accessed
):
    document = make_document("Plan", "plan.pdf", b"%PDF-plan")
    link = make_link(document, [ALICE])
    assert client.get(download_url(link)).status_code != 200  # not verified yet
    assert served == [] and accessed == []

    assert verify(client, link, ALICE).status_code == 303
    response = client.get(download_url(link))
    assert response.status_code == 200
    assert served == [(type(document), document.pk, download_url(link))]
    assert accessed == [(link.pk, document.pk, "download")]


def test_a_revoked_link_sends_nothing(client, served):
    document = make_document("Plan", "plan.pdf", b"%PDF-plan")
    link = make_link(document, [ALICE])
    assert verify(client, link, ALICE).status_code == 303
    services.revoke_link(link)
    assert client.get(download_url(link)).status_code in (404, 410)
    assert served == []


def test_a_zip_sends_document_served_for_each_document_in_it(client, served):
    root = make_collection("Project")
    plan = make_document("Plan", "plan.pdf", b"%PDF-plan", collection=root)
    notes = make_document("Notes", "notes.txt", b"notes", collection=root)
    link = make_link(root, [ALICE])
    assert verify(client, link, ALICE).status_code == 303
    response = client.get(reverse("wagtail_securelink:zip", args=[link.token]))
    assert response.status_code == 200
    assert sorted(pk for _sender, pk, _path in served) == sorted([plan.pk, notes.pk])
