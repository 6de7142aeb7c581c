"""S16 Private by default: Wagtail's own document URLs never give a private document to
an anonymous visitor or a signed-in user without Wagtail's permission; a dropped file
is never public until an editor publishes it; making an item public is an explicit,
audited editor action (SPEC §2 *Private item*)."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from wagtail import VERSION as WAGTAIL_VERSION
from wagtail.documents import get_document_model
from wagtail.models import ModelLogEntry

from tests.factories import make_collection, make_document, make_link, make_user
from wagtail_securelink import services
from wagtail_securelink.models import AccessEvent, PrivateItem, SecureLinkPolicy

pytestmark = pytest.mark.django_db
ALICE = "alice@example.com"
PRIVATE = [404, 404, 200, 200]
PUBLIC = [200, 200, 200, 200]


@pytest.fixture
def clients(editor, superuser):
    """Anonymous, signed in without permission, admin with permission, superuser."""
    nobody = make_user("nobody", perms=["wagtailadmin.access_admin"])
    signed_in, admin, root = Client(), Client(), Client()
    signed_in.force_login(nobody)
    admin.force_login(editor)
    root.force_login(superuser)
    return [Client(), signed_in, admin, root]


def statuses(clients, document) -> list[int]:
    document.refresh_from_db()
    return [client.get(document.url).status_code for client in clients]


def test_wagtail_serves_documents_at_its_own_url(contract):
    assert contract.url == f"/documents/{contract.pk}/{contract.filename}"


def test_shared_with_specific_people_is_private(clients, contract):
    assert statuses(clients, contract) == PUBLIC
    make_link(contract, [ALICE])
    assert statuses(clients, contract) == PRIVATE
    event = AccessEvent.objects.get(event="item_made_private")
    assert event.detail == {"reason": "shared", "document": contract.pk}


def test_the_refusal_is_the_404_of_an_unknown_document(clients, contract):
    make_link(contract, [ALICE])
    anonymous = clients[0]
    private = anonymous.get(contract.url)
    unknown = anonymous.get(f"/documents/{contract.pk + 1000}/{contract.filename}")
    assert private.status_code == unknown.status_code == 404
    assert private.content == unknown.content
    assert contract.filename.encode() not in private.content


def test_organization_link_makes_it_private(clients, contract):
    make_link(contract, audience="organization")
    assert statuses(clients, contract) == PRIVATE


def test_anyone_link_leaves_it_public(clients, contract):
    make_link(contract, audience="anyone")
    assert statuses(clients, contract) == PUBLIC
    assert not PrivateItem.objects.exists()


PROTECTED_ANYONE_LINKS = {
    "view-only": {"role": "view"},
    "terms": {"terms": "Do not share."},
    "open limit": {"max_opens": 3},
    "download limit": {"max_downloads": 1},
    "stamped downloads": {"watermark_downloads": True},
}


@pytest.mark.parametrize(
    "options", PROTECTED_ANYONE_LINKS.values(), ids=list(PROTECTED_ANYONE_LINKS)
)
def test_an_anyone_link_whose_protection_needs_it_makes_it_private(
    clients, contract, options
):
    # A view-only link refusing its own download, terms to accept, a limit: none of
    # them means anything while Wagtail's own URL serves the file whole to everyone.
    link = make_link(contract, audience="anyone", **options)
    assert link.privacy == "made_private"
    assert statuses(clients, contract) == PRIVATE
    # Nor does Wagtail's API hand its public URL to an anonymous visitor.
    if WAGTAIL_VERSION >= (8, 0):  # Wagtail 7.4 has no API v3
        listed = Client().get("/api/v3/documents/")
        assert listed.status_code == 200
        assert contract.title not in {item["title"] for item in listed.json()["items"]}


@pytest.mark.parametrize(
    "options", PROTECTED_ANYONE_LINKS.values(), ids=list(PROTECTED_ANYONE_LINKS)
)
def test_an_anyone_link_with_protections_may_keep_it_public_on_record(
    clients, contract, superuser, options
):
    link = make_link(
        contract, audience="anyone", keep_public=True, created_by=superuser, **options
    )
    assert link.privacy == "kept_public"
    assert statuses(clients, contract) == PUBLIC
    assert AccessEvent.objects.filter(event="item_kept_public", link=link).exists()


def test_kept_public_is_an_audited_choice(clients, contract, superuser):
    link = make_link(contract, [ALICE], keep_public=True, created_by=superuser)
    assert link.privacy == "kept_public"
    assert statuses(clients, contract) == PUBLIC
    event = AccessEvent.objects.get(event="item_kept_public")
    assert event.link_id == link.pk and event.user_id == superuser.pk
    assert ModelLogEntry.objects.filter(
        action="wagtail_securelink.keep_public", object_id=str(contract.pk)
    ).exists()


def test_revoking_the_link_does_not_make_it_public(clients, contract):
    link = make_link(contract, [ALICE])
    services.revoke_link(link)
    assert statuses(clients, contract) == PRIVATE


def test_policy_switch_off_leaves_shared_items_public(clients, contract):
    policy = SecureLinkPolicy.load()
    policy.private_by_default = False
    policy.save()
    assert make_link(contract, [ALICE]).privacy == "public"
    assert statuses(clients, contract) == PUBLIC


def test_make_public_and_private_again_from_manage_access(clients, contract, editor):
    make_link(contract, [ALICE])
    admin = clients[2]
    manage = reverse("wagtail_securelink_admin:manage_document", args=[contract.pk])
    page = admin.get(manage).content.decode()
    assert 'data-securelink-privacy="private"' in page and "Make public" in page
    public = reverse(
        "wagtail_securelink_admin:make_document_public", args=[contract.pk]
    )
    assert admin.post(public).status_code == 302
    assert statuses(clients, contract) == PUBLIC
    page = admin.get(manage).content.decode()
    assert 'data-securelink-privacy="public"' in page and "Make private again" in page
    private = reverse(
        "wagtail_securelink_admin:make_document_private", args=[contract.pk]
    )
    assert admin.post(private).status_code == 302
    assert statuses(clients, contract) == PRIVATE
    assert list(
        AccessEvent.objects.filter(user=editor)
        .order_by("pk")
        .values_list("event", "detail__reason")
    ) == [
        ("item_made_public", "made_public"),
        ("item_made_private", "made_private"),
    ]
    assert ModelLogEntry.objects.filter(
        action="wagtail_securelink.make_public", user=editor
    ).exists()


def test_privacy_buttons_refuse_users_who_may_not_manage_the_item(
    clients, contract, budget
):
    make_link(contract, [ALICE])
    make_link(budget, [ALICE])
    for client, document in ((clients[1], contract), (clients[2], budget)):
        for name in ("make_document_public", "make_document_private"):
            url = reverse(f"wagtail_securelink_admin:{name}", args=[document.pk])
            assert client.post(url).status_code == 403
    assert client.get(
        reverse("wagtail_securelink_admin:make_document_public", args=[budget.pk])
    ).status_code in (403, 405)
    assert set(PrivateItem.objects.values_list("private", flat=True)) == {True}
    assert not AccessEvent.objects.filter(event="item_made_public").exists()


def test_collection_link_reaches_documents_and_subcollections_at_request_time(
    clients, legal
):
    drafts = make_collection("Drafts", parent=legal)
    outside = make_collection("Outside")
    top = make_document("Top", "top.pdf", collection=legal)
    nested = make_document("Nested", "nested.pdf", collection=drafts)
    mover = make_document("Mover", "mover.pdf", collection=outside)
    make_link(legal, [ALICE], include_descendants=False)
    assert statuses(clients, top) == PRIVATE
    assert statuses(clients, nested) == PUBLIC
    assert statuses(clients, mover) == PUBLIC
    # Moved into the shared collection: private; moved out again: public.
    mover.collection = legal
    mover.save()
    assert statuses(clients, mover) == PRIVATE
    mover.collection = outside
    mover.save()
    assert statuses(clients, mover) == PUBLIC
    # A second link that includes subcollections widens the privacy.
    make_link(legal, [ALICE], include_descendants=True)
    assert statuses(clients, nested) == PRIVATE
    later = make_document("Later", "later.pdf", collection=drafts)
    assert statuses(clients, later) == PRIVATE


def test_make_public_on_a_document_wins_over_an_older_collection_decision(
    clients, legal, superuser
):
    document = make_document("Brochure", "brochure.pdf", collection=legal)
    make_link(legal, [ALICE])
    services.make_public(document, user=superuser)
    assert statuses(clients, document) == PUBLIC
    services.make_private(legal, user=superuser)  # newer, further up: private again
    assert statuses(clients, document) == PRIVATE


def test_redirect_serve_method_is_refused_too(clients, contract, settings):
    settings.WAGTAILDOCS_SERVE_METHOD = "redirect"
    make_link(contract, [ALICE])
    assert statuses(clients, contract) == [404, 404, 302, 302]


# Files received through a link -------------------------------------------------------


def refusing_scanner(uploaded_file, context):
    if b"EICAR" in uploaded_file.read():
        raise ValidationError(f"This file looks infected: {uploaded_file.name}.")


def test_upload_through_an_anyone_link_is_private_and_the_sharer_is_told(
    clients, legal, superuser
):
    policy = SecureLinkPolicy.load()
    policy.private_by_default = False  # uploads are private whatever the switch
    policy.anyone_roles = [
        "view",
        "download",
        "upload",
    ]  # a site that allows file requests
    policy.save()
    link = make_link(legal, audience="anyone", role="upload", created_by=superuser)
    mail.outbox.clear()
    visitor = Client()
    response = visitor.post(
        reverse("wagtail_securelink:upload", args=[link.token]),
        {"file": SimpleUploadedFile("dropped.pdf", b"%PDF-dropped")},
    )
    assert response.status_code == 303
    dropped = get_document_model().objects.get(title="dropped")
    assert statuses(clients, dropped) == PRIVATE
    item = PrivateItem.objects.get(document=dropped)
    assert (item.reason, item.link_id, item.uploaded_by) == (
        "uploaded",
        link.pk,
        PrivateItem.ANYONE_LINK,
    )
    (notice,) = [m for m in mail.outbox if superuser.email in m.to]
    review = f"https://share.example.test/admin/documents/edit/{dropped.pk}/"
    assert review in notice.body and review in notice.alternatives[0][0]
    assert "anyone link" in notice.body and "private" in notice.body
    # Making the collection public does not publish a dropped file.
    services.make_public(legal, user=superuser)
    assert statuses(clients, dropped) == PRIVATE


def test_upload_by_a_recipient_records_the_address(client, legal):
    from tests.helpers import verify

    link = make_link(legal, [ALICE], role="edit")
    assert verify(client, link, ALICE).status_code == 303
    client.post(
        reverse("wagtail_securelink:upload", args=[link.token]),
        {"file": SimpleUploadedFile("answer.txt", b"answer")},
    )
    item = PrivateItem.objects.get(document__title="answer")
    assert item.uploaded_by == ALICE and item.private
    services.erase_address(ALICE)
    item.refresh_from_db()
    assert item.uploaded_by == "" and item.private


def test_the_scanner_refuses_a_file_with_a_clear_message(legal, settings):
    settings.WAGTAIL_SECURELINK_UPLOAD_SCANNER = (
        "tests.security.test_s16_private_by_default.refusing_scanner"
    )
    policy = SecureLinkPolicy.load()
    policy.anyone_roles = [
        "view",
        "download",
        "upload",
    ]  # a site that allows file requests
    policy.save()
    link = make_link(legal, audience="anyone", role="upload")
    count = get_document_model().objects.count()
    url = reverse("wagtail_securelink:upload", args=[link.token])
    response = Client().post(
        url, {"file": SimpleUploadedFile("bad.txt", b"X5O EICAR test")}
    )
    assert response.status_code == 400
    assert b"This file looks infected" in response.content
    assert get_document_model().objects.count() == count
    response = Client().post(url, {"file": SimpleUploadedFile("ok.txt", b"fine")})
    assert response.status_code == 303
    assert get_document_model().objects.get(title="ok").file.read() == b"fine"
