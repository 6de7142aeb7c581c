"""Sharer notifications and the hygiene digest (SPEC §5, §6). Retention: test_retention.py."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from tests.factories import make_document, make_link, make_user
from tests.helpers import request_code, verify
from wagtail_securelink import services
from wagtail_securelink.audit.events import record_event
from wagtail_securelink.models import ShareLink
from wagtail_securelink.tasks import background

pytestmark = pytest.mark.django_db

ALICE = "alice@example.com"
OWNER = "owner@example.com"


def to_owner():
    return [m for m in mail.outbox if m.to == [OWNER]]


def set_policy(**values):
    policy = services.current_policy()
    for name, value in values.items():
        setattr(policy, name, value)
    policy.save()


# First open ----------------------------------------------------------------------------


def test_first_open_notifies_the_sharer_once(client, link):
    verify(client, link, ALICE)
    notices = to_owner()
    assert len(notices) == 1
    assert "alice@example.com opened “Contract”" in notices[0].subject
    assert f"/admin/securelink/documents/{link.document_id}/access/" in notices[0].body
    assert link.token not in notices[0].body  # a notice never holds the link's token
    # A second browser verifying again is not a first open.
    client.cookies.clear()
    verify(client, link, ALICE)
    assert len(to_owner()) == 1


def test_first_open_notice_follows_the_policy(client, link):
    set_policy(notify_first_open=False)
    verify(client, link, ALICE)
    assert to_owner() == []


# Forward attempt -------------------------------------------------------------------------


def test_unlisted_address_notifies_the_sharer_with_add_this_person(client, link):
    response = request_code(client, link, "eve@example.org")
    assert response.status_code == 303
    notices = to_owner()
    assert len(notices) == 1
    body = notices[0].body
    assert "eve@example.org" in body
    assert f"?link={link.pk}&add=eve%40example.org#link-{link.pk}" in body
    # The one-click link only fills in the form; nothing changes until the editor posts.
    client.force_login(link.created_by)
    page = client.get(
        f"/admin/securelink/documents/{link.document_id}/access/",
        {"link": link.pk, "add": "eve@example.org"},
    )
    assert "eve@example.org" in page.content.decode()
    assert not link.recipients.filter(email="eve@example.org").exists()


def test_unlisted_notice_waits_for_the_end_of_the_request(link):
    """Inside a request the email waits until the response is finished, so it adds no
    time that a visitor could measure (S7)."""
    background.on_request_started()
    try:
        record_event("unlisted_address", link=link, email="eve@example.org")
        assert to_owner() == []
    finally:
        background.on_request_finished()
    assert len(to_owner()) == 1


def test_unlisted_notice_once_a_day_per_address(client, link):
    request_code(client, link, "eve@example.org")
    request_code(client, link, "eve@example.org")
    assert len(to_owner()) == 1
    request_code(client, link, "mallory@example.org")
    assert len(to_owner()) == 2


def test_unlisted_notice_follows_the_policy(client, link):
    set_policy(notify_unlisted_attempt=False)
    request_code(client, link, "eve@example.org")
    assert to_owner() == []


def test_listed_address_sends_no_notice(client, link):
    request_code(client, link, ALICE)
    assert to_owner() == []


# Expiry in 3 days --------------------------------------------------------------------------


def test_expiry_notices_find_links_expiring_in_three_days(link):
    now = timezone.now()
    soon = make_link(make_document("Soon"), [ALICE])
    later = make_link(make_document("Later"), [ALICE])
    ShareLink.objects.filter(pk=soon.pk).update(
        expires_at=now + datetime.timedelta(days=2, hours=12)
    )
    ShareLink.objects.filter(pk=later.pk).update(
        expires_at=now + datetime.timedelta(days=5)
    )
    call_command("securelink_digest", "--expiry-notices", stdout=open("/dev/null", "w"))
    notices = to_owner()
    assert len(notices) == 1
    assert "Soon" in notices[0].subject
    assert f"?extend={soon.pk}#link-{soon.pk}" in notices[0].body


def test_extend_prefill_proposes_a_later_date_without_changing_anything(client, link):
    expires = timezone.now() + datetime.timedelta(days=3)
    ShareLink.objects.filter(pk=link.pk).update(expires_at=expires)
    client.force_login(link.created_by)
    page = client.get(
        f"/admin/securelink/documents/{link.document_id}/access/", {"extend": link.pk}
    )
    row = page.context["rows"][0]
    proposed = row["expiry_form"].initial["expires_on"]
    assert proposed == (expires + datetime.timedelta(days=30)).date()
    link.refresh_from_db()
    assert link.expires_at == expires


# Weekly digest --------------------------------------------------------------------------


def test_digest_lists_expiring_never_opened_and_unused_links():
    owner = make_user("owner", superuser=True)
    with time_machine.travel(timezone.now() - datetime.timedelta(days=120)):
        stale = make_link(make_document("Old"), [ALICE], created_by=owner)
        ShareLink.objects.filter(pk=stale.pk).update(
            open_count=3, last_opened_at=timezone.now()
        )
        unopened = make_link(make_document("Unopened"), [ALICE], created_by=owner)
    expiring = make_link(
        make_document("Expiring"),
        [ALICE],
        created_by=owner,
        expires_at=timezone.now() + datetime.timedelta(days=4),
    )
    make_user("idle", superuser=True)  # no links: no digest
    call_command("securelink_digest", stdout=open("/dev/null", "w"))
    assert [m.to for m in mail.outbox] == [[OWNER]]
    body = mail.outbox[0].body
    sections = body.split("Never opened:")
    assert "Expiring" in sections[0]
    assert "Unopened" in sections[1].split("Not used for 90 days")[0]
    assert "Old" in body.split("Not used for 90 days")[1]
    del expiring, unopened


def test_no_digest_when_there_is_nothing_to_say(link):
    call_command("securelink_digest", stdout=open("/dev/null", "w"))
    assert mail.outbox == []
