"""Per-person expiry ("access until"): set from the share form and Manage
access, enforced on the next request (S9), and the sharer told 3 days before."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_document, make_link
from tests.helpers import download_url, landing_url, request_code, verify
from wagtail_securelink import services
from wagtail_securelink.mail import notifications
from wagtail_securelink.models import AccessEvent, Grant, Recipient

pytestmark = pytest.mark.django_db

ALICE = "alice@example.com"
BOB = "bob@example.com"
OWNER = "owner@example.com"


def in_days(days: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days)


def test_share_form_sets_each_persons_access_end(client, editor, contract):
    client.force_login(editor)
    day = (timezone.localdate() + datetime.timedelta(days=10)).isoformat()
    response = client.post(
        reverse("wagtail_securelink_admin:share_document", args=[contract.pk]),
        {
            "audience": "specific",
            "recipients": f"{ALICE}, {BOB}",
            "role": "download",
            "access_until": day,
        },
    )
    assert response.status_code == 302
    ends = {r.email: r.expires_at for r in Recipient.objects.all()}
    assert set(ends) == {ALICE, BOB}
    for end in ends.values():
        assert timezone.localtime(end).date().isoformat() == day
        assert timezone.localtime(end).time() == datetime.time(23, 59, 59, 999999)


def test_share_form_refuses_a_past_access_end(client, editor, contract):
    client.force_login(editor)
    response = client.post(
        reverse("wagtail_securelink_admin:share_document", args=[contract.pk]),
        {
            "audience": "specific",
            "recipients": ALICE,
            "role": "download",
            "access_until": "2000-01-01",
        },
    )
    assert response.status_code == 200
    assert "The end of access must be in the future." in response.content.decode()
    assert not Recipient.objects.exists()


def test_access_ends_on_the_next_request_after_the_persons_date(client):
    link = make_link(make_document(), [ALICE, BOB], recipient_expires_at=in_days(2))
    verify(client, link, ALICE)
    assert client.get(download_url(link)).status_code == 200
    with time_machine.travel(in_days(2) + datetime.timedelta(seconds=1)):
        response = client.get(download_url(link))
        assert response.status_code == 302  # back to the gate
        grant = Grant.objects.get()
        assert (grant.end_reason, grant.ended_at is not None) == (
            "recipient_expired",
            True,
        )
        # Asking again: the pages of any unlisted address, and no code is sent (S7).
        mail.outbox.clear()
        request_code(client, link, ALICE)
        assert not [m for m in mail.outbox if ALICE in m.to]
        assert AccessEvent.objects.filter(event="unlisted_address").exists()
    # Recipients without a date of their own are not touched.
    assert Recipient.objects.get(email=BOB).expires_at is not None


def test_manage_access_sets_and_clears_one_persons_end(client, editor, contract):
    link = make_link(contract, [ALICE])
    recipient = link.recipients.get()
    client.force_login(editor)
    url = reverse("wagtail_securelink_admin:recipient_access_end", args=[recipient.pk])
    day = timezone.localdate() + datetime.timedelta(days=5)
    field = f"until-{recipient.pk}-access_until"
    response = client.post(url, {field: day.isoformat()}, follow=True)
    assert f"{ALICE} has access until {day.isoformat()}." in response.content.decode()
    recipient.refresh_from_db()
    assert timezone.localtime(recipient.expires_at).date() == day
    assert AccessEvent.objects.filter(
        event="recipient_expiry_changed", recipient_id=recipient.pk
    ).exists()
    page = client.get(
        reverse("wagtail_securelink_admin:manage_document", args=[contract.pk])
    )
    assert "Access until" in page.content.decode()
    assert f'value="{day.isoformat()}"' in page.content.decode()
    client.post(url, {field: ""})
    recipient.refresh_from_db()
    assert recipient.expires_at is None


def test_manage_access_refuses_a_past_end_and_changes_nothing(client, editor, contract):
    link = make_link(contract, [ALICE])
    recipient = link.recipients.get()
    client.force_login(editor)
    url = reverse("wagtail_securelink_admin:recipient_access_end", args=[recipient.pk])
    response = client.post(
        url, {f"until-{recipient.pk}-access_until": "2001-02-03"}, follow=True
    )
    assert response.status_code == 200
    assert "The end of access must be in the future." in response.content.decode()
    recipient.refresh_from_db()
    assert recipient.expires_at is None


def test_another_collections_recipient_is_refused(client, editor, budget):
    link = make_link(budget, [ALICE])
    recipient = link.recipients.get()
    client.force_login(editor)
    url = reverse("wagtail_securelink_admin:recipient_access_end", args=[recipient.pk])
    day = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    response = client.post(url, {f"until-{recipient.pk}-access_until": day})
    assert response.status_code == 403
    recipient.refresh_from_db()
    assert recipient.expires_at is None


def test_added_people_get_their_access_end(client, editor, contract):
    link = make_link(contract, [ALICE])
    client.force_login(editor)
    day = timezone.localdate() + datetime.timedelta(days=3)
    client.post(
        reverse("wagtail_securelink_admin:add_recipients", args=[link.pk]),
        {f"add-{link.pk}-recipients": BOB, f"add-{link.pk}-access_until": day},
    )
    bob = Recipient.objects.get(email=BOB)
    assert timezone.localtime(bob.expires_at).date() == day


def test_invitation_is_not_sent_after_the_persons_end(client):
    link = make_link(make_document(), [ALICE], recipient_expires_at=in_days(1))
    recipient = link.recipients.get()
    with time_machine.travel(in_days(1) + datetime.timedelta(seconds=1)):
        assert services.deliver_invitation(recipient.pk) == "skipped"
    assert not mail.outbox


def test_sharer_is_told_once_when_a_persons_access_ends_soon():
    link = make_link(make_document("Audit file"), [ALICE, BOB])
    Recipient.objects.filter(email=ALICE).update(expires_at=in_days(2))
    Recipient.objects.filter(email=BOB).update(expires_at=in_days(6))
    call_command("securelink_digest", "--expiry-notices", stdout=open("/dev/null", "w"))
    notices = [m for m in mail.outbox if m.to == [OWNER]]
    assert len(notices) == 1
    assert ALICE in notices[0].subject and "Audit file" in notices[0].subject
    assert f"/admin/securelink/documents/{link.document_id}/access/" in notices[0].body
    assert link.token not in notices[0].body
    assert notifications.send_person_expiry_notices() == 0  # told once
    # A new date clears the mark: the sharer is told again for the new date.
    services.set_access_end(Recipient.objects.filter(email=ALICE), in_days(1))
    assert notifications.send_person_expiry_notices() == 1


def test_no_notice_for_a_revoked_link():
    link = make_link(make_document(), [ALICE])
    Recipient.objects.update(expires_at=in_days(1))
    services.revoke_link(link)
    assert notifications.send_person_expiry_notices() == 0


def test_landing_of_an_expired_person_shows_the_gate(client):
    link = make_link(make_document(), [ALICE], recipient_expires_at=in_days(1))
    verify(client, link, ALICE)
    with time_machine.travel(in_days(1) + datetime.timedelta(seconds=1)):
        page = client.get(landing_url(link))
        assert b"Download" not in page.content
