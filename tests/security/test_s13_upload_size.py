"""Uploads (SPEC §4) and S13: a body over the cap is refused by its ``Content-Length``
before anything reads it — not after Django's CSRF check has spooled it to disk — with
a clear 413 page, and nothing is saved."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from wagtail.documents import get_document_model

from tests.factories import make_collection, make_link
from tests.helpers import send_code_url, verify
from tests.security.conftest import ALICE
from wagtail_securelink.models import SecureLinkPolicy

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


class Unreadable:
    """A request body that fails the test if anything reads it."""

    reads = 0

    def read(self, *args):
        Unreadable.reads += 1
        raise AssertionError("the body was read")

    readline = read


@pytest.fixture
def upload_link():
    policy = SecureLinkPolicy.load()
    policy.upload_max_mb = 1
    policy.save()
    return make_link(make_collection("Inbox"), [ALICE], role="upload")


def _verified(link):
    client = Client()
    assert verify(client, link, ALICE).status_code == 303
    return client


def _upload_url(link):
    return reverse("wagtail_securelink:upload", args=[link.token])


def test_an_announced_oversized_upload_is_refused_unread(upload_link):
    client = _verified(upload_link)
    count = get_document_model().objects.count()
    Unreadable.reads = 0
    response = client.generic(
        "POST",
        _upload_url(upload_link),
        content_type="multipart/form-data; boundary=BoUnDaRy",
        CONTENT_LENGTH=str(2 * MB),
        **{"wsgi.input": Unreadable()},
    )
    assert response.status_code == 413
    assert b"larger than this site accepts" in response.content
    assert b"1.0\xc2\xa0MB" in response.content
    assert response["Cache-Control"] == "private, no-store"
    assert Unreadable.reads == 0
    assert get_document_model().objects.count() == count


def test_a_real_oversized_upload_gets_the_page_and_saves_nothing(upload_link):
    client = _verified(upload_link)
    count = get_document_model().objects.count()
    response = client.post(
        _upload_url(upload_link),
        {"file": SimpleUploadedFile("big.pdf", b"x" * (MB + 128 * 1024))},
    )
    assert response.status_code == 413
    assert get_document_model().objects.count() == count


def test_an_upload_under_the_cap_still_works(upload_link):
    client = _verified(upload_link)
    response = client.post(
        _upload_url(upload_link),
        {"file": SimpleUploadedFile("small.pdf", b"%PDF-small")},
    )
    assert response.status_code == 303
    assert get_document_model().objects.filter(title="small").exists()


def test_a_form_post_is_capped_far_below_the_upload_cap(upload_link):
    """The address, code and password forms take a few bytes: 64 kB is plenty."""
    Unreadable.reads = 0
    response = Client().generic(
        "POST",
        send_code_url(upload_link),
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(100_000),
        **{"wsgi.input": Unreadable()},
    )
    assert response.status_code == 413
    assert Unreadable.reads == 0
