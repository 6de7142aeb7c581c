"""Manage access (SPEC §5) for one document or collection, as real signed-in users."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_link, make_user
from wagtail_securelink.models import AccessEvent, Recipient, ShareLink

pytestmark = pytest.mark.django_db

ADMIN = "wagtailadmin.access_admin"
ADD_LINK = "wagtail_securelink.add_sharelink"


@pytest.fixture
def link(contract):
    return make_link(contract, ["alice@example.com", "bob@example.com"])


def manage_url(document):
    return reverse("wagtail_securelink_admin:manage_document", args=[document.pk])


def action(name, *args):
    return reverse(f"wagtail_securelink_admin:{name}", args=args)


def test_manage_page_lists_every_link_with_its_facts(client, editor, contract, link):
    other = make_link(contract, ["carol@example.com"], role="view")
    client.force_login(editor)
    response = client.get(manage_url(contract))
    assert response.status_code == 200
    html = response.content.decode()
    for address in ("alice@example.com", "bob@example.com", "carol@example.com"):
        assert address in html
    assert link.url in html and other.url in html
    assert "View only" in html and "View and download" in html
    assert "owner" in html  # the creator
    assert "Last opened" in html and "Opens" in html


def test_manage_page_query_count_does_not_grow_with_links(client, editor, contract):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_link(contract, ["a@example.com"])
    client.force_login(editor)
    with CaptureQueriesContext(connection) as one:
        client.get(manage_url(contract))
    for index in range(10):
        make_link(contract, [f"p{index}@example.com", f"q{index}@example.com"])
    with CaptureQueriesContext(connection) as eleven:
        client.get(manage_url(contract))
    assert len(eleven) == len(one)


def test_edit_page_and_listing_link_to_manage_access(client, editor, contract):
    client.force_login(editor)
    html = client.get(reverse("wagtaildocs:edit", args=[contract.pk])).content.decode()
    assert f'href="{manage_url(contract)}"' in html
    html = client.get(reverse("wagtaildocs:index")).content.decode()
    assert f'href="{manage_url(contract)}"' in html


def test_revoke(client, editor, contract, link):
    client.force_login(editor)
    response = client.post(action("revoke", link.pk))
    assert response.status_code == 302
    assert response["Location"] == manage_url(contract)
    link.refresh_from_db()
    assert link.revoked_at is not None and link.revoked_by == editor
    assert AccessEvent.objects.filter(link=link, event="link_revoked").exists()


def test_actions_refuse_get(client, editor, link):
    client.force_login(editor)
    recipient = link.recipients.first()
    assert client.get(action("remove_recipient", recipient.pk)).status_code == 405
    # GET on revoke only asks for confirmation (tests/admin/test_admin_editor_pages.py).
    assert client.get(action("revoke", link.pk)).status_code == 200
    link.refresh_from_db()
    assert link.revoked_at is None
    assert link.recipients.filter(pk=recipient.pk).exists()


def test_add_and_remove_recipients(client, editor, contract, link):
    client.force_login(editor)
    response = client.post(
        action("add_recipients", link.pk),
        {
            f"add-{link.pk}-recipients": "Carol@Example.com; dave@example.com",
            f"add-{link.pk}-send_invitations": "on",
        },
    )
    assert response.status_code == 302
    emails = set(link.recipients.values_list("email", flat=True))
    assert {"carol@example.com", "dave@example.com"} <= emails
    assert sorted(m.to[0] for m in mail.outbox) == [
        "carol@example.com",
        "dave@example.com",
    ]
    bob = link.recipients.get(email="bob@example.com")
    client.post(action("remove_recipient", bob.pk))
    assert not Recipient.objects.filter(pk=bob.pk).exists()
    assert AccessEvent.objects.filter(link=link, event="recipient_removed").exists()


def test_invalid_addresses_are_named_and_nothing_added(client, editor, contract, link):
    client.force_login(editor)
    response = client.post(
        action("add_recipients", link.pk),
        {f"add-{link.pk}-recipients": "good@example.com, nope"},
        follow=True,
    )
    assert "nope" in response.content.decode()
    assert link.recipients.count() == 2


def test_resend_invitation(client, editor, link):
    client.force_login(editor)
    alice = link.recipients.get(email="alice@example.com")
    response = client.post(action("resend_invitation", alice.pk))
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    assert link.url in mail.outbox[0].body


def test_change_expiry_and_clear_it(client, editor, link):
    client.force_login(editor)
    day = (timezone.now() + datetime.timedelta(days=20)).date()
    client.post(action("change_expiry", link.pk), {f"expiry-{link.pk}-expires_on": day})
    link.refresh_from_db()
    assert timezone.localtime(link.expires_at).date() == day
    assert AccessEvent.objects.filter(link=link, event="link_changed").exists()
    client.post(action("change_expiry", link.pk), {f"expiry-{link.pk}-expires_on": ""})
    link.refresh_from_db()
    assert link.expires_at is None


def test_past_expiry_is_refused_with_a_message(client, editor, link):
    client.force_login(editor)
    response = client.post(
        action("change_expiry", link.pk),
        {f"expiry-{link.pk}-expires_on": "2001-01-01"},
        follow=True,
    )
    assert "must be in the future" in response.content.decode()
    link.refresh_from_db()
    assert link.expires_at is None


def test_unlock_a_locked_recipient(client, editor, contract, link):
    alice = link.recipients.get(email="alice@example.com")
    Recipient.objects.filter(pk=alice.pk).update(
        locked_at=timezone.now(), failure_count=100
    )
    client.force_login(editor)
    html = client.get(manage_url(contract)).content.decode()
    assert action("unlock_recipient", alice.pk) in html
    client.post(action("unlock_recipient", alice.pk))
    alice.refresh_from_db()
    assert alice.locked_at is None and alice.failure_count == 0


def test_prefills_from_notifications_change_nothing(client, editor, contract, link):
    client.force_login(editor)
    response = client.get(
        manage_url(contract), {"link": link.pk, "add": "eve@example.com"}
    )
    assert 'value="eve@example.com"' not in response.content.decode()  # a textarea
    assert "eve@example.com" in response.content.decode()
    response = client.get(manage_url(contract), {"extend": link.pk})
    assert response.status_code == 200
    assert link.recipients.count() == 2
    link.refresh_from_db()
    assert link.expires_at is None


def test_next_must_stay_on_this_site(client, editor, contract, link):
    client.force_login(editor)
    response = client.post(
        action("revoke", link.pk), {"next": "https://evil.example/steal"}
    )
    assert response["Location"] == manage_url(contract)


# Refusals: 403 and nothing changes -------------------------------------------------


@pytest.fixture
def foreign_link(budget):
    return make_link(budget, ["zoe@example.com"])


def test_manage_page_is_refused_for_another_collection(client, editor, budget):
    client.force_login(editor)
    assert client.get(manage_url(budget)).status_code == 403


@pytest.mark.parametrize(
    "name,data",
    [
        ("revoke", {}),
        ("change_expiry", {"expires_on": ""}),
        ("add_recipients", {"recipients": "x@example.com"}),
    ],
)
def test_link_actions_are_refused_for_another_collection(
    client, editor, foreign_link, name, data
):
    client.force_login(editor)
    before = AccessEvent.objects.count()
    data = {f"{name.split('_')[0]}-{foreign_link.pk}-{k}": v for k, v in data.items()}
    response = client.post(action(name, foreign_link.pk), data)
    assert response.status_code == 403
    foreign_link.refresh_from_db()
    assert foreign_link.revoked_at is None
    assert foreign_link.recipients.count() == 1
    assert AccessEvent.objects.count() == before


@pytest.mark.parametrize(
    "name", ["remove_recipient", "resend_invitation", "unlock_recipient"]
)
def test_recipient_actions_are_refused_for_another_collection(
    client, editor, foreign_link, name
):
    zoe = foreign_link.recipients.get()
    client.force_login(editor)
    before = AccessEvent.objects.count()
    assert client.post(action(name, zoe.pk)).status_code == 403
    assert Recipient.objects.filter(pk=zoe.pk).exists()
    assert mail.outbox == []
    assert AccessEvent.objects.count() == before


def test_actions_are_refused_without_securelink_permission(client, legal, link):
    plain = make_user(
        "plain", perms=[ADMIN], collection_perms=[(legal, "change_document")]
    )
    client.force_login(plain)
    assert client.post(action("revoke", link.pk)).status_code == 403
    link.refresh_from_db()
    assert link.revoked_at is None


def test_change_sharelink_alone_may_manage(client, legal, contract, link):
    manager = make_user(
        "manager",
        perms=[ADMIN, "wagtail_securelink.change_sharelink"],
        collection_perms=[(legal, "change_document")],
    )
    client.force_login(manager)
    assert client.get(manage_url(contract)).status_code == 200
    assert client.post(action("revoke", link.pk)).status_code == 302
    assert ShareLink.objects.get(pk=link.pk).revoked_at is not None


def test_an_invitation_that_could_not_be_sent_shows_with_resend(
    client, editor, contract, link, settings
):
    """The sharer sees the failed invitation beside *Resend*; once it goes
    out, the mark goes away."""
    client.force_login(editor)
    alice = link.recipients.get(email="alice@example.com")
    settings.EMAIL_BACKEND = "tests.admin.test_admin_manage.RefusingBackend"
    client.post(action("resend_invitation", alice.pk))
    assert AccessEvent.objects.filter(event="invitation_failed").count() == 1
    page = client.get(manage_url(contract)).content.decode()
    assert "Could not be sent" in page
    assert "Resend invitation" in page
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.post(action("resend_invitation", alice.pk))
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    assert "Could not be sent" not in client.get(manage_url(contract)).content.decode()


class RefusingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP down")


def test_watermark_fact_shows_for_view_only_links_only(client, editor, contract):
    make_link(contract, ["alice@example.com"], role="view", watermark=True)
    client.force_login(editor)
    html = client.get(manage_url(contract)).content.decode()
    assert "address, date and link id on every page" in html
    ShareLink.objects.update(role="download")
    html = client.get(manage_url(contract)).content.decode()
    assert "address, date and link id on every page" not in html
