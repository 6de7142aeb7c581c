"""The documents listing's *Share* bulk action: several documents, the same people."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import make_collection, make_document, make_user
from wagtail_securelink.models import ShareLink

pytestmark = pytest.mark.django_db


def bulk_url(*documents):
    url = reverse(
        "wagtail_bulk_action", args=["wagtaildocs", "document", "securelink_share"]
    )
    return url + "?" + "&".join(f"id={d.pk}" for d in documents)


@pytest.fixture
def documents():
    legal = make_collection("Legal")
    return [
        make_document(f"Contract {i}", f"contract{i}.pdf", collection=legal)
        for i in range(3)
    ]


def test_share_several_documents_with_the_same_people(client, documents):
    client.force_login(make_user("root", superuser=True))
    page = client.get(bulk_url(*documents))
    assert page.status_code == 200
    assert b"Contract 2" in page.content
    response = client.post(
        bulk_url(*documents),
        {
            "recipients": "a@example.com, b@example.org",
            "role": "view",
            "message": "Drafts",
            "send_invitations": "on",
        },
    )
    assert response.status_code == 302
    links = ShareLink.objects.order_by("pk")
    assert [link.document_id for link in links] == [d.pk for d in documents]
    assert {link.role for link in links} == {"view"}
    for link in links:
        assert sorted(link.recipients.values_list("email", flat=True)) == [
            "a@example.com",
            "b@example.org",
        ]
    assert len(mail.outbox) == 6


def test_one_refused_address_refuses_the_whole_action(client, documents):
    client.force_login(make_user("root", superuser=True))
    response = client.post(
        bulk_url(*documents), {"recipients": "a@example.com, nope", "role": "download"}
    )
    assert response.status_code == 200
    assert b"nope" in response.content
    assert not ShareLink.objects.exists()


def test_documents_the_user_may_not_share_are_left_out(client, documents):
    legal = documents[0].collection
    other = make_document(
        "Elsewhere", "elsewhere.pdf", collection=make_collection("Other")
    )
    editor = make_user(
        "editor",
        perms=["wagtailadmin.access_admin", "wagtail_securelink.add_sharelink"],
        collection_perms=[(legal, "change_document"), (legal, "add_document")],
    )
    client.force_login(editor)
    response = client.post(
        bulk_url(documents[0], other),
        {"recipients": "a@example.com", "role": "download"},
    )
    assert response.status_code == 302
    assert list(ShareLink.objects.values_list("document_id", flat=True)) == [
        documents[0].pk
    ]


def test_bulk_share_makes_documents_private_unless_kept_public(client, documents):
    client.force_login(make_user("root", superuser=True))
    data = {"recipients": "a@example.com", "role": "download"}
    client.post(bulk_url(documents[0]), data)
    client.post(bulk_url(documents[1]), {**data, "keep_public": "on"})
    assert Client().get(documents[0].url).status_code == 404
    assert Client().get(documents[1].url).status_code == 200
