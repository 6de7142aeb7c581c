"""The editor's share flow (SPEC §5) through Wagtail's admin, as real signed-in users."""

import re

import pytest
from django.core import mail
from django.urls import resolve, reverse

from tests.factories import make_collection, make_user
from wagtail_securelink.admin.forms import split_addresses
from wagtail_securelink.admin.views import buttons as admin_views
from wagtail_securelink.models import AccessEvent, Recipient, ShareLink

pytestmark = pytest.mark.django_db

ADMIN = "wagtailadmin.access_admin"
ADD_LINK = "wagtail_securelink.add_sharelink"


@pytest.fixture
def no_share_editor(legal):
    """May change documents in "Legal" but lacks add_sharelink."""
    return make_user(
        "plain", perms=[ADMIN], collection_perms=[(legal, "change_document")]
    )


def share_url(document):
    return reverse("wagtail_securelink_admin:share_document", args=[document.pk])


def has_share_button(response, document) -> bool:
    return f'href="{share_url(document)}"' in response.content.decode()


def post_share(client, document, **data):
    payload = {
        "audience": "specific",
        "recipients": "alice@example.com",
        "role": "download",
        "expires_on": "",
        "message": "",
        "send_invitations": "on",
    }
    payload.update(data)
    if payload["send_invitations"] is None:
        del payload["send_invitations"]
    return client.post(share_url(document), payload)


# Wagtail's own pages, fronted by ours ------------------------------------------


def test_wagtails_url_names_still_reverse_to_the_same_paths(contract):
    assert reverse("wagtaildocs:index") == "/admin/documents/"
    assert reverse("wagtaildocs:index_results") == "/admin/documents/results/"
    edit = reverse("wagtaildocs:edit", args=[contract.pk])
    assert edit == f"/admin/documents/edit/{contract.pk}/"
    assert resolve(edit).func.view_class is admin_views.DocumentEditView
    assert resolve("/admin/documents/").func.view_class is admin_views.DocumentIndexView
    # Everything else under documents/ is still Wagtail's.
    add = resolve(reverse("wagtaildocs:add"))
    assert add.namespace == "wagtaildocs"


@pytest.mark.parametrize(
    "name", ["wagtaildocs:index", "wagtaildocs:index_results", "wagtaildocs:add"]
)
def test_wagtails_document_pages_still_render(client, superuser, contract, name):
    client.force_login(superuser)
    assert client.get(reverse(name)).status_code == 200


def test_wagtails_edit_page_still_renders_and_saves(client, superuser, contract):
    client.force_login(superuser)
    url = reverse("wagtaildocs:edit", args=[contract.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "wagtaildocs/documents/edit.html" in [t.name for t in response.templates]
    response = client.post(
        url,
        {"title": "Contract v2", "collection": contract.collection_id, "tags": ""},
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.title == "Contract v2"


# The Share button -------------------------------------------------------------


def test_listing_rows_have_share_button_for_superuser(
    client, superuser, contract, budget
):
    client.force_login(superuser)
    response = client.get(reverse("wagtaildocs:index"))
    assert has_share_button(response, contract)
    assert has_share_button(response, budget)
    # The search/filter results view (AJAX) renders the same rows.
    response = client.get(reverse("wagtaildocs:index_results"), {"q": "Contract"})
    assert response.status_code == 200
    assert has_share_button(response, contract)


def test_listing_shows_share_button_only_where_editor_may_share(
    client, editor, contract, budget
):
    client.force_login(editor)
    response = client.get(reverse("wagtaildocs:index"))
    assert response.status_code == 200
    assert has_share_button(response, contract)
    assert not has_share_button(response, budget)


def test_row_buttons_follow_the_collection_policy(rf, editor, contract, budget):
    """Rows the editor may not change get no Share button, even if listed."""
    view = admin_views.DocumentIndexView()
    view.setup(rf.get("/"))
    view.request.user = editor
    view.shareable_ids = {contract.pk}
    labels = [str(b.label) for b in view.get_list_more_buttons(contract)]
    assert "Share" in labels
    labels = [str(b.label) for b in view.get_list_more_buttons(budget)]
    assert "Share" not in labels


def test_listing_has_no_share_button_without_add_sharelink(
    client, no_share_editor, contract
):
    client.force_login(no_share_editor)
    response = client.get(reverse("wagtaildocs:index"))
    assert response.status_code == 200
    assert "Contract" in response.content.decode()
    assert not has_share_button(response, contract)


def test_edit_page_has_share_button_for_allowed_users(client, editor, contract):
    client.force_login(editor)
    response = client.get(reverse("wagtaildocs:edit", args=[contract.pk]))
    assert response.status_code == 200
    assert has_share_button(response, contract)


def test_edit_page_has_no_share_button_without_add_sharelink(
    client, no_share_editor, contract
):
    client.force_login(no_share_editor)
    response = client.get(reverse("wagtaildocs:edit", args=[contract.pk]))
    assert response.status_code == 200
    assert not has_share_button(response, contract)


# The share form ---------------------------------------------------------------


def test_share_form_renders_with_policy_defaults(client, editor, contract):
    client.force_login(editor)
    response = client.get(share_url(contract))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["role"] == "download"
    assert form["send_invitations"].value() is True
    assert "Contract" in response.content.decode()


def test_share_creates_link_and_emails_recipients(client, editor, contract):
    client.force_login(editor)
    response = post_share(
        client,
        contract,
        recipients="Alice@Example.com,\nbob@example.org; carol@example.net",
        role="view",
        message="Please review before Friday.",
    )
    assert response.status_code == 302
    link = ShareLink.objects.get()
    assert response["Location"] == reverse(
        "wagtail_securelink_admin:share_result", args=[link.pk]
    )
    assert link.document == contract
    assert link.created_by == editor
    assert link.role == "view"
    assert link.audience == "specific"
    assert link.message == "Please review before Friday."
    emails = ["alice@example.com", "bob@example.org", "carol@example.net"]
    assert sorted(link.recipients.values_list("email", flat=True)) == emails
    assert sorted(address for m in mail.outbox for address in m.to) == emails
    assert all(link.url in m.body for m in mail.outbox)
    assert all("Please review before Friday." in m.body for m in mail.outbox)

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(
        r'<input[^>]*id="securelink-url"[^>]*value="' + re.escape(link.url) + '"', html
    )
    assert re.search(r'<input[^>]*id="securelink-url"[^>]*readonly', html)
    assert "wagtail_securelink/admin.js" in html
    assert "An invitation was emailed to:" in html
    for address in emails:
        assert address in html
    # The report is shown once; a reload does not create or send anything.
    client.get(response["Location"])
    assert ShareLink.objects.count() == 1
    assert len(mail.outbox) == 3


def test_share_without_emails(client, superuser, contract):
    client.force_login(superuser)
    response = post_share(client, contract, send_invitations=None)
    assert response.status_code == 302
    link = ShareLink.objects.get()
    assert list(link.recipients.values_list("email", flat=True)) == [
        "alice@example.com"
    ]
    assert mail.outbox == []
    page = client.get(response["Location"])
    assert "No invitations were emailed" in page.content.decode()
    assert link.url in page.content.decode()


def test_expiry_date_is_the_end_of_that_day(client, superuser, contract):
    client.force_login(superuser)
    response = post_share(client, contract, expires_on="2999-01-31")
    assert response.status_code == 302
    expires = ShareLink.objects.get().expires_at
    assert (expires.year, expires.month, expires.day) == (2999, 1, 31)
    assert (expires.hour, expires.minute) == (23, 59)


def test_past_expiry_is_refused_on_the_field(client, superuser, contract):
    client.force_login(superuser)
    response = post_share(client, contract, expires_on="2001-01-01")
    assert response.status_code == 200
    assert response.context["form"].errors["expires_on"]
    assert not ShareLink.objects.exists()


def test_invalid_addresses_are_named_and_nothing_is_created(client, editor, contract):
    client.force_login(editor)
    response = post_share(
        client,
        contract,
        recipients="alice@example.com, not-an-address; bob@@example.org",
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["recipients"])
    assert "not-an-address" in errors
    assert "bob@@example.org" in errors
    assert "alice@example.com" not in errors
    assert "not-an-address" in response.content.decode()
    assert not ShareLink.objects.exists()
    assert not Recipient.objects.exists()
    assert mail.outbox == []


def test_empty_recipients_are_refused(client, editor, contract):
    client.force_login(editor)
    response = post_share(client, contract, recipients=" ,; ")
    assert response.status_code == 200
    assert response.context["form"].errors["recipients"]
    assert not ShareLink.objects.exists()


def test_policy_refusal_is_shown_on_the_field(client, superuser, contract):
    from wagtail_securelink import services

    policy = services.current_policy()
    policy.blocked_domains = "example.org"
    policy.save()
    client.force_login(superuser)
    response = post_share(client, contract, recipients="eve@example.org")
    assert response.status_code == 200
    assert "eve@example.org" in " ".join(response.context["form"].errors["recipients"])
    assert not ShareLink.objects.exists()


def test_creation_is_audited(client, editor, contract):
    from wagtail.models import ModelLogEntry

    client.force_login(editor)
    post_share(client, contract, send_invitations=None)
    link = ShareLink.objects.get()
    assert AccessEvent.objects.filter(link=link, event="link_created").exists()
    assert ModelLogEntry.objects.filter(
        action="wagtail_securelink.create", user=editor
    ).exists()


# Refusals -----------------------------------------------------------------------


def test_editor_cannot_share_a_document_in_another_collection(client, editor, budget):
    client.force_login(editor)
    assert client.get(share_url(budget)).status_code == 403
    assert post_share(client, budget).status_code == 403
    assert not ShareLink.objects.exists()
    assert mail.outbox == []


def test_user_without_add_sharelink_gets_403(client, no_share_editor, contract):
    client.force_login(no_share_editor)
    response = client.get(share_url(contract))
    assert response.status_code == 403
    assert "do not have permission to share" in response.content.decode()
    assert "Contract" not in response.content.decode()
    assert post_share(client, contract).status_code == 403
    assert not ShareLink.objects.exists()


def test_anonymous_user_is_sent_to_login(client, contract):
    response = post_share(client, contract)
    assert response.status_code == 302
    assert reverse("wagtailadmin_login") in response["Location"]
    assert not ShareLink.objects.exists()


def test_unknown_document_is_404(client, superuser):
    client.force_login(superuser)
    url = reverse("wagtail_securelink_admin:share_document", args=[999999])
    assert client.get(url).status_code == 404


def test_result_page_is_refused_to_editor_of_another_collection(
    client, superuser, budget, editor
):
    client.force_login(superuser)
    response = post_share(client, budget, send_invitations=None)
    link = ShareLink.objects.get()
    client.force_login(editor)
    assert client.get(response["Location"]).status_code == 403
    assert link.url not in client.get(response["Location"]).content.decode()


# Parsing ------------------------------------------------------------------------


def test_split_addresses():
    text = " a@example.com,b@example.com;\n\nc@example.com  d@example.com;;"
    assert split_addresses(text) == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
        "d@example.com",
    ]


# The full share form (SPEC §5) ----------------------------------------------------


def _policy(**values):
    from wagtail_securelink import services

    policy = services.current_policy()
    for name, value in values.items():
        setattr(policy, name, value)
    policy.save()
    return policy


def test_share_form_offers_only_the_policys_audiences(client, editor, contract):
    _policy(allow_anyone=False)
    client.force_login(editor)
    form = client.get(share_url(contract)).context["form"]
    assert [value for value, _label in form.fields["audience"].choices] == [
        "specific",
        "organization",
    ]
    # No password field when "anyone" links are switched off.
    assert "password" not in form.fields
    assert "include_descendants" not in form.fields


def test_share_form_defaults_come_from_the_policy(client, editor, contract):
    _policy(default_audience="organization", default_role="view")
    client.force_login(editor)
    form = client.get(share_url(contract)).context["form"]
    assert form.initial["audience"] == "organization"
    assert form.initial["role"] == "view"
    roles = [value for value, _label in form.fields["role"].choices]
    assert roles == ["view", "download", "edit"]  # "upload" is for collections


def test_a_refused_audience_is_a_field_error(client, editor, contract):
    _policy(allow_anyone=False)
    client.force_login(editor)
    response = post_share(client, contract, audience="anyone", recipients="")
    assert response.status_code == 200
    assert response.context["form"].errors["audience"]
    assert not ShareLink.objects.exists()


def test_reverification_days_are_bounded_by_the_policy(client, editor, contract):
    _policy(reverification_days=10)
    client.force_login(editor)
    response = post_share(client, contract, reverification_days="11")
    assert response.status_code == 200
    assert response.context["form"].errors["reverification_days"]
    assert not ShareLink.objects.exists()
    response = post_share(
        client, contract, reverification_days="3", send_invitations=None
    )
    assert response.status_code == 302
    assert ShareLink.objects.get().reverification_days == 3


def test_add_this_person_prefills_the_form(client, editor, contract):
    client.force_login(editor)
    response = client.get(share_url(contract), {"recipients": "dave@example.com"})
    assert response.context["form"].initial["recipients"] == "dave@example.com"
    assert not ShareLink.objects.exists()


# Collections ----------------------------------------------------------------------


def collection_share_url(collection):
    return reverse("wagtail_securelink_admin:share_collection", args=[collection.pk])


def test_collection_share_form_has_subcollections_and_upload(client, editor, legal):
    client.force_login(editor)
    response = client.get(collection_share_url(legal))
    assert response.status_code == 200
    form = response.context["form"]
    assert "include_descendants" in form.fields
    assert "upload" in [value for value, _label in form.fields["role"].choices]


def test_collection_share_is_refused_elsewhere(client, editor, finance):
    client.force_login(editor)
    assert client.get(collection_share_url(finance)).status_code == 403
    response = client.post(
        collection_share_url(finance),
        {"audience": "specific", "recipients": "a@example.com", "role": "view"},
    )
    assert response.status_code == 403
    assert not ShareLink.objects.exists()


def test_collection_share_is_refused_with_only_add_document(client, legal):
    uploader = make_user(
        "uploader", perms=[ADMIN, ADD_LINK], collection_perms=[(legal, "add_document")]
    )
    client.force_login(uploader)
    assert client.get(collection_share_url(legal)).status_code == 403


def test_collection_list_shows_only_shareable_collections(
    client, editor, legal, finance
):
    child = make_collection("Contracts", parent=legal)
    client.force_login(editor)
    response = client.get(reverse("wagtail_securelink_admin:collections"))
    assert response.status_code == 200
    html = response.content.decode()
    assert collection_share_url(legal) in html
    assert collection_share_url(child) in html
    assert collection_share_url(finance) not in html


def test_collection_list_is_refused_without_add_sharelink(client, no_share_editor):
    client.force_login(no_share_editor)
    assert (
        client.get(reverse("wagtail_securelink_admin:collections")).status_code == 403
    )
