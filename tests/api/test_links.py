"""The /securelink/links/ endpoints through real HTTP with real APIToken rows."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from tests.factories import make_link, make_user
from wagtail_securelink.models import AccessEvent, Recipient, ShareLink

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def share(api, document, **body):
    body = {"target_type": "document", "target_id": document.pk, **body}
    return api.post("/links/", body)


# Authentication and permissions ---------------------------------------------------------


def test_no_token_is_401(client, contract):
    response = client.post(
        "/api/v3/securelink/links/",
        {"target_type": "document", "target_id": contract.pk},
        content_type="application/json",
    )
    assert response.status_code == 401
    assert ShareLink.objects.count() == 0


def test_a_session_is_not_a_token(client, superuser, contract):
    client.force_login(superuser)
    assert client.get("/api/v3/securelink/links/").status_code == 401


def test_revoked_token_is_401(admin_api, contract):
    admin_api.token.revoke()
    assert share(admin_api, contract, recipients=["a@example.com"]).status_code == 401


def test_token_without_add_sharelink_is_403(token_for, legal, contract):
    user = make_user(
        "changer",
        perms=["wagtailadmin.access_admin"],
        collection_perms=[(legal, "change_document")],
    )
    response = share(token_for(user), contract, recipients=["a@example.com"])
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert "may not share" in response.json()["detail"]
    assert ShareLink.objects.count() == 0


def test_token_of_user_who_may_not_change_the_document_is_403(editor_api, budget):
    response = share(editor_api, budget, recipients=["a@example.com"])
    assert response.status_code == 403
    assert ShareLink.objects.count() == 0


def test_collection_needs_change_on_it(editor_api, legal, finance):
    body = {"target_type": "collection", "recipients": ["a@example.com"]}
    refused = editor_api.post("/links/", {**body, "target_id": finance.pk})
    allowed = editor_api.post("/links/", {**body, "target_id": legal.pk})
    assert (refused.status_code, allowed.status_code) == (403, 201)
    assert allowed.json()["target"] == {
        "type": "collection",
        "id": legal.pk,
        "title": "Legal",
    }


def test_unknown_target_is_404(admin_api):
    response = admin_api.post("/links/", {"target_type": "document", "target_id": 999})
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


def test_links_on_items_the_user_may_not_change_are_invisible(
    editor_api, contract, budget
):
    mine = make_link(contract, ["a@example.com"])
    theirs = make_link(budget, ["b@example.com"])
    listed = editor_api.get("/links/").json()
    assert [item["id"] for item in listed["items"]] == [mine.pk]
    assert editor_api.get(f"/links/{theirs.pk}/").status_code == 404
    assert editor_api.post(f"/links/{theirs.pk}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_user_without_any_sharelink_permission_may_not_list(token_for, legal):
    user = make_user("reader", perms=["wagtailadmin.access_admin"])
    assert token_for(user).get("/links/").status_code == 403


# Create ----------------------------------------------------------------------------------


def test_create_returns_the_url_once_and_emails(admin_api, contract):
    response = share(
        admin_api,
        contract,
        recipients=["Alice@Example.com", "bob@example.org"],
        role="view",
        message="The contract",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    link = ShareLink.objects.get()
    assert data["url"] == link.url
    assert data["audience"] == "specific" and data["role"] == "view"
    assert [r["email"] for r in data["recipients"]] == [
        "alice@example.com",
        "bob@example.org",
    ]
    assert data["invitations"]["sent"] == ["alice@example.com", "bob@example.org"]
    assert sorted(m.to[0] for m in mail.outbox) == [
        "alice@example.com",
        "bob@example.org",
    ]
    # Never again: not in the detail, not in the list.
    assert "url" not in admin_api.get(f"/links/{link.pk}/").json()
    assert link.token not in admin_api.get("/links/").content.decode()


def test_create_without_email(admin_api, contract):
    response = share(
        admin_api, contract, recipients=["a@example.com"], send_invitations=False
    )
    assert response.status_code == 201
    assert response.json()["invitations"] is None
    assert mail.outbox == []


def test_create_anyone_link_with_password_never_echoes_it(admin_api, contract):
    response = share(
        admin_api,
        contract,
        audience="anyone",
        role="download",
        password="correct horse",
    )
    assert response.status_code == 201
    assert response.json()["has_password"] is True
    assert "correct horse" not in response.content.decode()
    link = ShareLink.objects.get()
    # Default expiry forced by the policy for anyone links (30 days).
    assert link.expires_at is not None


def test_create_with_expiry_and_reverification(admin_api, contract):
    expires = (timezone.now() + datetime.timedelta(days=3)).replace(microsecond=0)
    response = share(
        admin_api,
        contract,
        recipients=["a@example.com"],
        expires_at=expires.isoformat(),
        reverification_days=2,
    )
    assert response.status_code == 201
    link = ShareLink.objects.get()
    assert (link.expires_at, link.reverification_days) == (expires, 2)


def test_naive_expiry_is_read_in_the_site_time_zone(admin_api, contract):
    expires = (timezone.now() + datetime.timedelta(days=3)).replace(
        microsecond=0, tzinfo=None
    )
    response = share(
        admin_api,
        contract,
        recipients=["a@example.com"],
        expires_at=expires.isoformat(),
    )
    assert response.status_code == 201
    assert ShareLink.objects.get().expires_at == timezone.make_aware(expires)


# Policy refusals: the service layer's, in API v3's problem shape ---------------------------


def test_refused_addresses_are_named(admin_api, contract):
    from wagtail_securelink.models import SecureLinkPolicy

    policy = SecureLinkPolicy.load()
    policy.blocked_domains = "blocked.example"
    policy.save()
    response = share(
        admin_api, contract, recipients=["ok@example.com", "eve@blocked.example", "x@"]
    )
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert "eve@blocked.example" in body["detail"]
    assert "x@" in body["detail"]
    assert {tuple(e["loc"]) for e in body["errors"]} == {("body", "recipients")}
    assert ShareLink.objects.count() == 0


def test_policy_limit_is_stated(admin_api, contract):
    far = timezone.now() + datetime.timedelta(days=400)
    response = share(admin_api, contract, audience="anyone", expires_at=far.isoformat())
    assert response.status_code == 422
    assert "30 days" in response.json()["detail"]


def test_audience_switched_off_by_policy(admin_api, contract):
    from wagtail_securelink.models import SecureLinkPolicy

    policy = SecureLinkPolicy.load()
    policy.allow_anyone = False
    policy.save()
    response = share(admin_api, contract, audience="anyone")
    assert response.status_code == 422
    assert "does not allow this kind of link" in response.json()["detail"]


@pytest.mark.parametrize(
    "body, message",
    [
        ({"audience": "specific"}, "at least one email address"),
        ({"audience": "organization", "recipients": ["a@example.com"]}, "specific"),
        (
            {"audience": "specific", "recipients": ["a@x.com"], "password": "pw"},
            "anyone",
        ),
        ({"role": "upload", "recipients": ["a@example.com"]}, "collections"),
        ({"recipients": ["a@example.com"], "reverification_days": 99}, "between 1 and"),
    ],
)
def test_refusals_from_the_service_layer(admin_api, contract, body, message):
    response = share(admin_api, contract, **body)
    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert ShareLink.objects.count() == 0


# Read, filter ----------------------------------------------------------------------------


def test_filters(admin_api, superuser, contract, budget, legal):
    other = make_user("other", superuser=True)
    a = make_link(contract, ["alice@example.com"], created_by=superuser)
    b = make_link(budget, ["bob@example.org"], role="view", created_by=other)
    c = make_link(legal, [], audience="organization", created_by=superuser)
    d = make_link(contract, [], audience="anyone", created_by=other)
    admin_api.post(f"/links/{d.pk}/revoke/")

    def ids(**query):
        response = admin_api.get("/links/", query)
        assert response.status_code == 200, response.content
        return sorted(item["id"] for item in response.json()["items"])

    assert ids() == sorted([a.pk, b.pk, c.pk, d.pk])
    assert ids(status="revoked") == [d.pk]
    assert ids(status="active") == sorted([a.pk, b.pk, c.pk])
    assert ids(audience="organization") == [c.pk]
    assert ids(role="view") == [b.pk]
    assert ids(creator=other.pk) == sorted([b.pk, d.pk])
    assert ids(target_type="collection") == [c.pk]
    assert ids(target_type="document", target_id=contract.pk) == sorted([a.pk, d.pk])
    assert ids(target_type="collection", target_id=legal.pk) == [c.pk]
    assert ids(recipient="BOB@") == [b.pk]


def test_list_is_paginated(admin_api, contract):
    for _ in range(3):
        make_link(contract, ["a@example.com"])
    page = admin_api.get("/links/", {"limit": 2, "offset": 2}).json()
    assert page["count"] == 3 and len(page["items"]) == 1


def test_expired_status(admin_api, contract, time_machine=None):
    link = make_link(
        contract,
        ["a@example.com"],
        expires_at=timezone.now() + datetime.timedelta(days=1),
    )
    ShareLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    data = admin_api.get("/links/", {"status": "expired"}).json()
    assert [item["status"] for item in data["items"]] == ["expired"]


# Changes ---------------------------------------------------------------------------------


def test_revoke_one(admin_api, contract):
    link = make_link(contract, ["a@example.com"])
    response = admin_api.post(f"/links/{link.pk}/revoke/")
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"


def test_revoke_many_revokes_only_visible_links(editor_api, contract, budget):
    mine = [make_link(contract, ["a@example.com"]) for _ in range(2)]
    theirs = make_link(budget, ["b@example.com"])
    response = editor_api.post(
        "/links/revoke/", {"ids": [mine[0].pk, mine[1].pk, theirs.pk, 424242]}
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"revoked": 2, "not_found": sorted([theirs.pk, 424242])}
    assert ShareLink.objects.revoked().count() == 2


def test_add_and_remove_recipients(admin_api, contract):
    link = make_link(contract, ["a@example.com"])
    response = admin_api.post(
        f"/links/{link.pk}/recipients/",
        {"recipients": ["B@example.com", "a@example.com"]},
    )
    assert response.status_code == 200, response.content
    assert response.json()["added"] == ["b@example.com"]
    assert [m.to for m in mail.outbox] == [["b@example.com"]]
    bob = Recipient.objects.get(email="b@example.com")
    response = admin_api.delete(f"/links/{link.pk}/recipients/{bob.pk}/")
    assert response.status_code == 204
    assert not Recipient.objects.filter(pk=bob.pk).exists()


def test_recipient_of_another_link_is_404(admin_api, contract):
    one = make_link(contract, ["a@example.com"])
    two = make_link(contract, ["b@example.com"])
    other = two.recipients.get()
    assert (
        admin_api.delete(f"/links/{one.pk}/recipients/{other.pk}/").status_code == 404
    )
    assert Recipient.objects.filter(pk=other.pk).exists()


def test_add_refused_address_and_non_specific_link(admin_api, contract):
    from wagtail_securelink.models import SecureLinkPolicy

    policy = SecureLinkPolicy.load()
    policy.allowed_domains = "example.com"
    policy.save()
    link = make_link(contract, ["a@example.com"])
    response = admin_api.post(
        f"/links/{link.pk}/recipients/", {"recipients": ["eve@evil.example"]}
    )
    assert response.status_code == 422
    assert "eve@evil.example" in response.json()["detail"]
    anyone = make_link(contract, [], audience="anyone")
    response = admin_api.post(
        f"/links/{anyone.pk}/recipients/", {"recipients": ["b@example.com"]}
    )
    assert response.status_code == 422
    assert "specific people" in response.json()["detail"]


def test_resend_invitation(admin_api, contract):
    link = make_link(contract, ["a@example.com"])
    recipient = link.recipients.get()
    response = admin_api.post(f"/links/{link.pk}/recipients/{recipient.pk}/resend/")
    assert response.status_code == 200
    assert response.json()["sent"] == ["a@example.com"]
    assert [m.to for m in mail.outbox] == [["a@example.com"]]
    admin_api.post(f"/links/{link.pk}/revoke/")
    response = admin_api.post(f"/links/{link.pk}/recipients/{recipient.pk}/resend/")
    assert response.status_code == 422
    assert "no longer works" in response.json()["detail"]


def test_change_expiry(admin_api, contract):
    link = make_link(contract, ["a@example.com"])
    later = (timezone.now() + datetime.timedelta(days=10)).replace(microsecond=0)
    response = admin_api.patch(f"/links/{link.pk}/", {"expires_at": later.isoformat()})
    assert response.status_code == 200, response.content
    link.refresh_from_db()
    assert link.expires_at == later
    response = admin_api.patch(f"/links/{link.pk}/", {"expires_at": None})
    assert response.status_code == 200 and response.json()["expires_at"] is None
    past = timezone.now() - datetime.timedelta(days=1)
    response = admin_api.patch(f"/links/{link.pk}/", {"expires_at": past.isoformat()})
    assert response.status_code == 422
    assert "future" in response.json()["detail"]
    assert admin_api.patch(f"/links/{link.pk}/", {}).status_code == 422


# Audit -------------------------------------------------------------------------------------


def test_every_change_is_an_event_naming_the_token(admin_api, contract):
    link_id = share(admin_api, contract, recipients=["a@example.com"]).json()["id"]
    admin_api.post(f"/links/{link_id}/recipients/", {"recipients": ["b@example.com"]})
    bob = Recipient.objects.get(email="b@example.com")
    admin_api.delete(f"/links/{link_id}/recipients/{bob.pk}/")
    later = timezone.now() + datetime.timedelta(days=5)
    admin_api.patch(f"/links/{link_id}/", {"expires_at": later.isoformat()})
    admin_api.post(f"/links/{link_id}/revoke/")
    changes = AccessEvent.objects.filter(
        event__in=[
            "link_created",
            "recipient_added",
            "recipient_removed",
            "link_changed",
            "link_revoked",
        ]
    )
    assert changes.count() == 5
    for event in changes:
        assert event.detail["api_token"] == admin_api.token.pk, event.event
        assert event.detail["api_token_name"] == "crm"
        assert event.user_id == admin_api.token.user_id


def test_no_secret_in_events_logs_or_later_responses(admin_api, contract, caplog):
    caplog.set_level("DEBUG")
    response = share(admin_api, contract, audience="anyone", password="hunter2-secret")
    link = ShareLink.objects.get()
    later = [
        admin_api.get("/links/").content,
        admin_api.get(f"/links/{link.pk}/").content,
        admin_api.get("/events/").content,
        admin_api.post(f"/links/{link.pk}/revoke/").content,
    ]
    secrets = [admin_api.secret, link.token, link.key, "hunter2-secret"]
    events = repr(list(AccessEvent.objects.values()))
    logs = "\n".join(r.getMessage() for r in caplog.records)
    for secret in secrets:
        assert secret not in events
        assert secret not in logs
        for body in later:
            assert secret not in body.decode()
    assert admin_api.secret not in response.content.decode()


def test_the_recipients_language_writes_their_emails(admin_api, contract, settings):
    settings.LANGUAGES = [("en", "English"), ("fr", "Français")]
    response = share(
        admin_api, contract, recipients=["a@example.com"], language="fr-ca"
    )
    assert response.status_code == 201, response.content
    assert response.json()["recipients"][0]["language"] == "fr"
    assert Recipient.objects.get().language == "fr"
    (invitation,) = mail.outbox
    assert "Ouvrez-le ici :" in invitation.body

    link = ShareLink.objects.get()
    response = admin_api.post(
        f"/links/{link.pk}/recipients/", {"recipients": ["b@example.com"]}
    )
    assert response.status_code == 200, response.content
    assert Recipient.objects.get(email="b@example.com").language == ""


def test_a_language_the_site_does_not_offer_is_refused(admin_api, contract, settings):
    settings.LANGUAGES = [("en", "English"), ("fr", "Français")]
    response = share(admin_api, contract, recipients=["a@example.com"], language="xx")
    assert response.status_code == 422
    assert "language" in response.content.decode()
    assert not ShareLink.objects.exists() and mail.outbox == []

    link = make_link(contract, ["a@example.com"])
    response = admin_api.post(
        f"/links/{link.pk}/recipients/",
        {"recipients": ["b@example.com"], "language": "de"},
    )
    assert response.status_code == 422
    assert not Recipient.objects.filter(email="b@example.com").exists()


def test_create_a_page_preview_and_read_its_target(admin_api):
    from wagtail.models import Page

    page = Page.get_first_root_node().add_child(instance=Page(title="Draft", slug="d"))
    body = {
        "target_type": "page",
        "target_id": page.pk,
        "recipients": ["a@example.com"],
    }
    refused = admin_api.post("/links/", {**body, "role": "download"})
    assert refused.status_code == 422  # the policy refuses: view only
    response = admin_api.post("/links/", {**body, "role": "view"})
    assert response.status_code == 201, response.content
    assert response.json()["target"] == {
        "type": "page",
        "id": page.pk,
        "title": "Draft",
    }
    listed = admin_api.get("/links/", {"target_type": "page", "target_id": page.pk})
    assert [row["target"]["id"] for row in listed.json()["items"]] == [page.pk]
