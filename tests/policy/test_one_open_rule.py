"""One rule for "is this link open" (SPEC §6): lower the policy's maximum for ``anyone``
links below an existing link's age, and every surface that says whether the link is
open agrees with what its visitor gets — the model, the Shared links column and filter,
Manage access, the People area, the API and ``securelink_list``."""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from wagtail import VERSION as WAGTAIL_VERSION

from tests.factories import make_document, make_link
from tests.helpers import landing_url
from wagtail_securelink.core.paths import manage_access_path
from wagtail_securelink.models import Recipient, SecureLinkPolicy, ShareLink
from wagtail_securelink.sharing.people import people_for

pytestmark = pytest.mark.django_db

ALICE = "alice@example.com"


@pytest.fixture
def old_links(superuser):
    """An ``anyone`` link and a ``specific`` one, both 10 days old, under a 30-day
    maximum; then the maximum is lowered to 3 days."""
    start = timezone.now() - datetime.timedelta(days=10)
    with time_machine.travel(start, tick=False):
        document = make_document("Price list")
        anyone = make_link(document, audience="anyone", role="download")
        specific = make_link(
            document,
            [ALICE],
            expires_at=timezone.now() + datetime.timedelta(days=60),
        )
    policy = SecureLinkPolicy.load()
    policy.anyone_max_expiry_days = 3
    policy.save()
    return anyone, specific


def test_the_model_says_what_the_visitor_gets(client, old_links):
    anyone, specific = old_links
    anyone = ShareLink.objects.get(pk=anyone.pk)
    assert client.get(landing_url(anyone)).status_code == 404
    assert (anyone.is_active(), anyone.is_expired(), anyone.status) == (
        False,
        True,
        "expired",
    )
    assert anyone.effective_expiry() < timezone.now() < anyone.expires_at
    assert str(anyone.get_status_display()) == "Expired"
    assert client.get(landing_url(specific)).status_code == 200
    assert ShareLink.objects.get(pk=specific.pk).status == "active"


def test_the_querysets_and_the_annotation_apply_the_same_rule(old_links):
    anyone, specific = old_links
    assert list(ShareLink.objects.active()) == [specific]
    assert list(ShareLink.objects.expired()) == [anyone]
    statuses = {link.pk: link.status for link in ShareLink.objects.with_status()}
    assert statuses == {anyone.pk: "expired", specific.pk: "active"}
    # Raising the maximum again opens the link again, on every surface.
    policy = SecureLinkPolicy.load()
    policy.anyone_max_expiry_days = 30
    policy.save()
    assert set(ShareLink.objects.active()) == {anyone, specific}
    assert ShareLink.objects.get(pk=anyone.pk).status == "active"


def test_the_shared_links_column_and_filter_agree(client, superuser, old_links):
    anyone, specific = old_links
    client.force_login(superuser)
    index = reverse("wagtail_securelink_sharelink:index")
    page = client.get(index).content.decode()
    row = page[page.index(f"sharelink_{anyone.pk}_title") :]
    row = row[: row.index("</tr>")]
    assert "Expired" in row and "Active" not in row
    active = client.get(index, {"status": "active"}).content.decode()
    expired = client.get(index, {"status": "expired"}).content.decode()
    assert f"sharelink_{anyone.pk}_title" not in active
    assert f"sharelink_{specific.pk}_title" in active
    assert f"sharelink_{anyone.pk}_title" in expired


def test_manage_access_shows_the_link_as_expired(client, superuser, old_links):
    anyone, _ = old_links
    client.force_login(superuser)
    page = client.get(manage_access_path(anyone.document)).content.decode()
    card = page[page.index(f'id="link-{anyone.pk}"') :]
    card = card[: card.index("</h2>")]
    assert "Expired" in card and "Active" not in card


def test_the_people_area_counts_only_open_links(superuser, old_links):
    anyone, specific = old_links
    Recipient.objects.create(link=anyone, email=ALICE)
    person = people_for(superuser).get(email=ALICE)
    assert (person.link_count, person.open_link_count) == (2, 1)


def test_securelink_list_agrees(old_links):
    anyone, specific = old_links
    out = io.StringIO()
    call_command("securelink_list", "--status", "active", stdout=out)
    lines = [line.split() for line in out.getvalue().splitlines()[1:] if line.strip()]
    assert [int(line[0]) for line in lines] == [specific.pk]
    out = io.StringIO()
    call_command("securelink_list", stdout=out)
    row = next(
        line for line in out.getvalue().splitlines() if line.startswith(str(anyone.pk))
    )
    assert "expired" in row and "active" not in row


@pytest.mark.skipif(WAGTAIL_VERSION < (8, 0), reason="API v3 is Wagtail 8's")
def test_the_api_agrees(client, superuser, old_links):
    from wagtail.models import APIToken

    anyone, specific = old_links
    _, secret = APIToken.create_token(user=superuser, name="crm")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    listed = client.get("/api/v3/securelink/links/", **auth).json()["items"]
    assert {item["id"]: item["status"] for item in listed} == {
        anyone.pk: "expired",
        specific.pk: "active",
    }
    active = client.get(
        "/api/v3/securelink/links/", {"status": "active"}, **auth
    ).json()["items"]
    assert [item["id"] for item in active] == [specific.pk]
    one = client.get(f"/api/v3/securelink/links/{anyone.pk}/", **auth).json()
    assert one["status"] == "expired"
