"""Organization links limited to Wagtail groups."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import make_document, make_link, make_user
from tests.helpers import download_url, landing_url
from wagtail_securelink.models import ShareLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditors():
    return Group.objects.create(name="Auditors")


@pytest.fixture
def link(auditors):
    return make_link(make_document(), audience="organization", groups=[auditors])


def test_members_open_it_others_get_a_clear_403(client, link, auditors):
    member = make_user("member")
    member.groups.add(auditors)
    other = make_user("other")
    client.force_login(other)
    response = client.get(landing_url(link))
    assert response.status_code == 403
    assert "Not for your account" in response.content.decode()
    assert client.get(download_url(link)).status_code == 302  # back to that page
    client.force_login(member)
    assert client.get(landing_url(link)).status_code == 200
    assert client.get(download_url(link)).status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(client, link):
    response = client.get(landing_url(link))
    assert response.status_code == 302 and "login" in response["Location"]


def test_without_groups_any_account_opens_it(client):
    link = make_link(make_document(), audience="organization")
    client.force_login(make_user("anyone"))
    assert client.get(landing_url(link)).status_code == 200


def test_groups_only_on_organization_links(auditors):
    with pytest.raises(ValidationError) as error:
        make_link(make_document(), ["a@example.com"], groups=[auditors])
    assert "groups" in error.value.message_dict


def test_share_form_limits_to_groups(client, editor, contract, auditors):
    client.force_login(editor)
    form = client.get(
        reverse("wagtail_securelink_admin:share_document", args=[contract.pk])
    )
    assert "Only these groups" in form.content.decode()
    response = client.post(
        reverse("wagtail_securelink_admin:share_document", args=[contract.pk]),
        {"audience": "organization", "role": "download", "groups": [auditors.pk]},
    )
    assert response.status_code == 302
    link = ShareLink.objects.get()
    assert list(link.groups.all()) == [auditors]
    page = client.get(
        reverse("wagtail_securelink_admin:manage_document", args=[contract.pk])
    )
    assert "Auditors" in page.content.decode()
