"""Audiences `organization` and `anyone` (SPEC §2), roles per target, per-link options."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_collection, make_document, make_link, make_user
from tests.helpers import download_url, landing_url
from wagtail_securelink.models import AccessEvent, Grant, SecureLinkPolicy

pytestmark = pytest.mark.django_db


def password_url(link):
    return reverse("wagtail_securelink:password", args=[link.token])


def test_organization_link_sends_anonymous_visitors_to_login_and_back(client):
    link = make_link(make_document(), audience="organization")
    response = client.get(landing_url(link))
    assert response.status_code == 302
    assert "next=" in response["Location"]
    assert landing_url(link).replace("/", "%2F") in response["Location"]
    make_user("colleague")
    client.login(username="colleague", password="password")
    assert b"Download" in client.get(landing_url(link)).content
    assert client.get(download_url(link)).status_code == 200


def test_anyone_link_without_password_opens_for_everyone(client):
    link = make_link(make_document(), audience="anyone")
    assert b"Download" in client.get(landing_url(link)).content
    assert client.get(download_url(link)).status_code == 200


def test_anyone_link_with_password(client):
    link = make_link(make_document(), audience="anyone", password="correct horse")
    page = client.get(landing_url(link))
    assert b"Password required" in page.content
    assert client.get(download_url(link)).status_code == 302
    response = client.post(password_url(link), {"password": "wrong"})
    assert response.status_code == 400
    assert b"not right" in response.content
    assert AccessEvent.objects.filter(event="password_failed").count() == 1
    response = client.post(password_url(link), {"password": "correct horse"})
    assert response.status_code == 303
    assert Grant.objects.filter(link=link, recipient__isnull=True).count() == 1
    assert client.get(download_url(link)).status_code == 200
    assert "correct horse" not in str(list(AccessEvent.objects.values()))


def test_password_tries_are_rate_limited(client, settings):
    settings.WAGTAIL_SECURELINK_RATE_CHECK_PER_LINK = "3/h"
    link = make_link(make_document(), audience="anyone", password="secret-pass")
    for _ in range(3):
        assert client.post(password_url(link), {"password": "nope"}).status_code == 400
    response = client.post(password_url(link), {"password": "secret-pass"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_anyone_links_must_expire_within_the_policy(client):
    link = make_link(make_document(), audience="anyone")
    assert link.expires_at is not None
    assert link.expires_at <= timezone.now() + datetime.timedelta(days=30, minutes=1)
    with pytest.raises(ValidationError) as excinfo:
        make_link(
            make_document(),
            audience="anyone",
            expires_at=timezone.now() + datetime.timedelta(days=60),
        )
    assert "expires_at" in excinfo.value.message_dict


def test_switching_anyone_off_stops_existing_links(client):
    link = make_link(make_document(), audience="anyone")
    assert client.get(download_url(link)).status_code == 200
    policy = SecureLinkPolicy.load()
    policy.allow_anyone = False
    policy.save()
    response = client.get(landing_url(link))
    assert response.status_code == 403
    assert b"switched off" in response.content
    assert client.get(download_url(link)).status_code == 302
    with pytest.raises(ValidationError):
        make_link(make_document(), audience="anyone")


@pytest.mark.parametrize(
    ("target", "role", "allowed"),
    [
        ("document", "view", True),
        ("document", "download", True),
        ("document", "edit", True),
        ("document", "upload", False),
        ("collection", "view", True),
        ("collection", "download", True),
        ("collection", "edit", True),
        ("collection", "upload", True),
    ],
)
@pytest.mark.parametrize("audience", ["specific", "organization", "anyone"])
def test_every_audience_role_target_combination(target, role, allowed, audience):
    item = make_document() if target == "document" else make_collection("C")
    recipients = ["a@example.com"] if audience == "specific" else []
    # SPEC §6: by default an ``anyone`` link may only view or download.
    allowed = allowed and not (audience == "anyone" and role in ("edit", "upload"))
    if allowed:
        link = make_link(item, recipients, audience=audience, role=role)
        assert (link.audience, link.role, link.target_type) == (audience, role, target)
    else:
        with pytest.raises(ValidationError) as excinfo:
            make_link(item, recipients, audience=audience, role=role)
        assert "role" in excinfo.value.message_dict


def test_password_only_on_anyone_links_and_recipients_only_on_specific():
    with pytest.raises(ValidationError) as excinfo:
        make_link(make_document(), ["a@example.com"], password="x")
    assert "password" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        make_link(make_document(), ["a@example.com"], audience="organization")
    assert "recipients" in excinfo.value.message_dict


def test_edit_role_on_a_document_uploads_a_new_version(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    policy = SecureLinkPolicy.load()
    policy.anyone_roles = ["view", "download", "edit"]
    policy.save()
    document = make_document("Contract", "contract.pdf", b"%PDF-v1")
    link = make_link(document, audience="anyone", role="edit")
    response = client.post(
        reverse("wagtail_securelink:replace", args=[link.token]),
        {"file": SimpleUploadedFile("contract-signed.pdf", b"%PDF-v2")},
    )
    assert response.status_code == 303
    document.refresh_from_db()
    assert document.title == "Contract"
    assert document.file.read() == b"%PDF-v2"
    assert AccessEvent.objects.filter(
        event="uploaded", detail__new_version=True
    ).exists()


def test_download_role_cannot_replace(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    link = make_link(make_document(), audience="anyone", role="download")
    response = client.post(
        reverse("wagtail_securelink:replace", args=[link.token]),
        {"file": SimpleUploadedFile("x.pdf", b"%PDF")},
    )
    assert response.status_code == 403
