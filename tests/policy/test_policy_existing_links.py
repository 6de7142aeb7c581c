"""SPEC §6: a policy change applies to existing links on their next request — blocked
domains, shorter maxima, audiences and roles no longer allowed — and the share form,
the CLI and Manage access say so."""

import datetime
import subprocess
import sys

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_document, make_link
from tests.helpers import download_url, landing_url, last_code, request_code, verify
from wagtail_securelink.models import (
    AccessEvent,
    Grant,
    SecureLinkPolicy,
    ShareLink,
    VerificationCode,
)
from wagtail_securelink.models.links import anyone_expiry_limit
from wagtail_securelink.sharing import links

pytestmark = pytest.mark.django_db

ALICE = "alice@example.com"
BOB = "bob@partner.example"


def set_policy(**fields):
    policy = SecureLinkPolicy.load()
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.save()
    return policy


# -- domains ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [{"blocked_domains": "partner.example"}, {"allowed_domains": "example.com"}],
    ids=["newly-blocked", "no-longer-allowed"],
)
def test_a_refused_domain_ends_its_recipients_access_on_the_next_request(
    client, change
):
    link = make_link(make_document(), [ALICE, BOB])
    assert verify(client, link, BOB).status_code == 303
    assert client.get(download_url(link)).status_code == 200
    set_policy(**change)
    response = client.get(landing_url(link))
    assert response.status_code == 200
    assert b"Confirm your email address" in response.content
    assert client.get(download_url(link)).status_code == 302
    grant = Grant.objects.get(recipient__email=BOB)
    assert (grant.end_reason, grant.ended_at is not None) == (
        "domain_not_allowed",
        True,
    )


def test_a_refused_recipient_gets_no_code_and_the_page_answers_the_same(client):
    link = make_link(make_document(), [ALICE, BOB])
    listed = request_code(client, link, ALICE)
    set_policy(blocked_domains="partner.example")
    refused = request_code(client, link, BOB)
    # S7: the same answer whatever the address; but no code goes to Bob.
    assert (refused.status_code, refused["Location"]) == (
        listed.status_code,
        listed["Location"],
    )
    assert not VerificationCode.objects.filter(recipient__email=BOB).exists()
    assert AccessEvent.objects.filter(
        event="unlisted_address", email=BOB, link=link
    ).exists()


def test_a_code_sent_before_the_block_no_longer_verifies(client):
    link = make_link(make_document(), [BOB])
    request_code(client, link, BOB)
    code = last_code(BOB)
    set_policy(blocked_domains="partner.example")
    client.post(
        reverse("wagtail_securelink:enter_code", args=[link.token]), {"code": code}
    )
    assert not Grant.objects.exists()


# -- shorter maximum for anyone links -------------------------------------------------


def test_lowering_the_anyone_maximum_shortens_existing_links(client):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        link = make_link(make_document(), audience="anyone")
    assert link.expires_at == start + datetime.timedelta(days=30)
    with time_machine.travel(start + datetime.timedelta(days=8)):
        assert client.get(download_url(link)).status_code == 200
        set_policy(anyone_max_expiry_days=7)
        assert client.get(landing_url(link)).status_code == 404
        assert client.get(download_url(link)).status_code == 404
    with time_machine.travel(start + datetime.timedelta(days=6)):
        assert client.get(download_url(link)).status_code == 200


def test_manage_access_flags_links_the_policy_shortens_or_stops(client, superuser):
    document = make_document()
    shortened = make_link(document, audience="anyone")
    editing_link = make_link(document, ["carol@example.com"], role="edit")
    url = reverse("wagtail_securelink_admin:manage_document", args=[document.pk])
    client.force_login(superuser)
    assert b"by the site's policy" not in client.get(url).content
    set_policy(anyone_max_expiry_days=7, specific_roles=["view", "download"])
    content = client.get(url).content.decode()
    assert "Shortened by the site's policy" in content
    assert "Stopped by the site's policy: the role “Edit” is not allowed" in content
    assert ShareLink.objects.filter(pk__in=[shortened.pk, editing_link.pk]).count() == 2


def test_shared_links_status_filter_follows_the_policy(client, superuser):
    start = timezone.now()
    with time_machine.travel(start):
        link = make_link(make_document("Old anyone"), audience="anyone")
    set_policy(anyone_max_expiry_days=7)
    client.force_login(superuser)
    index = reverse("wagtail_securelink_sharelink:index")
    with time_machine.travel(start + datetime.timedelta(days=8)):
        active = client.get(index, {"status": "active"}).content
        expired = client.get(index, {"status": "expired"}).content
    assert b"Old anyone" not in active
    assert b"Old anyone" in expired
    assert link.pk


def test_the_last_allowed_day_is_accepted_by_the_share_form_and_manage_access():
    """One rule (``enforcement.clean_expiry``): the share form and Manage access agree."""
    policy = set_policy(anyone_max_expiry_days=30)
    last_day = timezone.localdate() + datetime.timedelta(days=30)
    end_of_last_day = timezone.make_aware(
        datetime.datetime.combine(last_day, datetime.time.max)
    )
    link = make_link(make_document(), audience="anyone", expires_at=end_of_last_day)
    limit = anyone_expiry_limit(link.created_at, policy)
    assert link.expires_at <= limit + datetime.timedelta(seconds=1)
    links.change_expiry(link, end_of_last_day)  # no ValidationError
    assert link.effective_expiry(policy) <= limit
    with pytest.raises(ValidationError):
        links.change_expiry(link, end_of_last_day + datetime.timedelta(days=1))
    with pytest.raises(ValidationError):
        make_link(
            make_document(),
            audience="anyone",
            expires_at=end_of_last_day + datetime.timedelta(days=1),
        )


# -- audiences and roles ----------------------------------------------------------------


def test_a_role_no_longer_allowed_stops_existing_links(client):
    set_policy(anyone_roles=["view", "download", "edit"])
    link = make_link(make_document(), audience="anyone", role="edit")
    assert client.get(landing_url(link)).status_code == 200
    set_policy(anyone_roles=["view", "download"])
    response = client.get(landing_url(link))
    assert response.status_code == 403
    assert b"switched off" in response.content
    assert client.get(download_url(link)).status_code == 302


def test_an_audience_no_longer_allowed_stops_existing_links(client):
    link = make_link(make_document(), audience="anyone")
    set_policy(allow_anyone=False)
    assert client.get(landing_url(link)).status_code == 403


def test_anyone_links_cannot_edit_or_upload_by_default(client, superuser):
    document = make_document()
    with pytest.raises(ValidationError) as excinfo:
        make_link(document, audience="anyone", role="edit")
    assert "role" in excinfo.value.message_dict
    client.force_login(superuser)
    share = reverse("wagtail_securelink_admin:share_document", args=[document.pk])
    page = client.get(share).content.decode()
    assert "Anyone with the link: View only, View and download" in page
    response = client.post(
        share, {"audience": "anyone", "role": "edit", "send_invitations": ""}
    )
    assert response.status_code == 200
    assert "does not allow this role" in response.content.decode()
    assert not ShareLink.objects.exists()


def test_the_cli_refuses_a_role_the_policy_does_not_allow(superuser):
    document = make_document()
    with pytest.raises(CommandError, match="does not allow this role"):
        call_command(
            "securelink_share",
            "--document",
            str(document.pk),
            "--audience",
            "anyone",
            "--role",
            "edit",
        )
    assert not ShareLink.objects.exists()


@pytest.mark.process
def test_the_cli_exits_non_zero_on_refusal():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "securelink_share",
            "--document",
            "999999",
            "--audience",
            "anyone",
            "--role",
            "edit",
            "--settings=tests.settings",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
