"""Page previews (SPEC §2 *Page preview*): an editor shares a draft page with
reviewers outside the CMS; they prove their address with a code and see the page as
Wagtail's preview renders it."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import GroupPagePermission, Page

from tests.factories import make_link, make_user
from tests.helpers import ALICE, landing_url, last_code, request_code, verified
from wagtail_securelink import services
from wagtail_securelink.choices import EventType
from wagtail_securelink.models import AccessEvent, SecureLinkPolicy, ShareLink

pytestmark = pytest.mark.django_db

MALLORY = "mallory@example.net"
ADMIN = "wagtailadmin.access_admin"
ADD_LINK = "wagtail_securelink.add_sharelink"


def page_editor(page, username="pageeditor", perms=(ADMIN, ADD_LINK)):
    """A user who may edit ``page`` (and its subtree) through a group of their own."""
    user = make_user(username, perms=perms)
    group = Group.objects.create(name=f"{username} pages")
    GroupPagePermission.objects.create(
        group=group,
        page=page,
        permission=Permission.objects.get(
            content_type__app_label="wagtailcore", codename="change_page"
        ),
    )
    user.groups.add(group)
    return user


def share_page_url(page):
    return reverse("wagtail_securelink_admin:share_page", args=[page.pk])


def post_share(client, page, **data):
    payload = {
        "audience": "specific",
        "recipients": ALICE,
        "role": "view",
        "page_version": "latest",
        "expires_on": "",
        "message": "",
        "send_invitations": "on",
    }
    payload.update(data)
    return client.post(share_page_url(page), payload)


def save_draft(page, title):
    page = Page.objects.get(pk=page.pk).get_latest_revision_as_object()
    page.title = title
    page.save_revision()


def preview_html(client, link) -> str:
    response = client.get(landing_url(link))
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# The editor's side ---------------------------------------------------------------------


def test_editor_shares_a_preview_and_the_reviewer_sees_the_current_draft(
    client, section, draft
):
    editor = page_editor(section)
    client.force_login(editor)
    form = client.get(share_page_url(draft))
    assert form.status_code == 200
    assert "Share a preview" in form.content.decode()
    # Named as the admin names the page: by its draft's title, not the live one.
    assert "Share a preview of “Draft title v1”" in form.content.decode()

    response = post_share(client, draft, message="Does this read well?")
    assert response.status_code == 302, response.content.decode()
    link = ShareLink.objects.get()
    assert (link.target_type, link.page_id, link.role) == ("page", draft.pk, "view")
    assert link.created_by == editor
    # The policy's maximum for page previews: a link without an expiry gets it.
    assert link.expires_at is not None
    assert link.expires_at <= timezone.now() + datetime.timedelta(days=30, minutes=1)
    assert [m.to for m in mail.outbox] == [[ALICE]]
    assert link.url in mail.outbox[0].body
    result = client.get(response["Location"])
    assert result.status_code == 200
    assert "Back to the page" in result.content.decode()

    reviewer = verified(Client(), link)
    html = preview_html(reviewer, link)
    assert "Draft title v1" in html
    assert "Published title" not in html
    assert "data-securelink-preview-banner" in html
    assert "Shared with you by pageeditor" in html
    # The link follows the draft: a revision saved after sharing shows on reload.
    save_draft(draft, "Draft title v2")
    assert "Draft title v2" in preview_html(reviewer, link)
    assert AccessEvent.objects.filter(link=link, event=EventType.VIEWED).exists()


def test_a_revision_at_sharing_link_keeps_the_old_content(client, draft):
    link = make_link(draft, [ALICE], role="view", page_version="shared")
    assert link.page_revision == draft.get_latest_revision()
    save_draft(draft, "Draft title v2")
    html = preview_html(verified(client, link), link)
    assert "Draft title v1" in html
    assert "Draft title v2" not in html
    assert "as it was when it was shared" in html


def test_the_preview_carries_noindex_no_store_and_the_security_headers(client, draft):
    link = make_link(draft, [ALICE], role="view")
    response = verified(client, link).get(landing_url(link))
    assert "noindex" in response["X-Robots-Tag"]
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_the_page_renders_for_an_anonymous_visitor_even_for_a_signed_in_reviewer(
    client, draft, monkeypatch
):
    """The reviewer's session never reaches Wagtail's dummy request: the page sees
    an anonymous user, as the public would."""
    seen = []
    original = Page.serve_preview

    def spy(self, request, mode_name):
        seen.append(request.user.is_authenticated)
        return original(self, request, mode_name)

    monkeypatch.setattr(Page, "serve_preview", spy)
    colleague = make_user("colleague", perms=[ADMIN])
    link = make_link(draft, audience="organization", role="view")
    client.force_login(colleague)
    assert "Draft title v1" in preview_html(client, link)
    assert seen == [False]


def test_a_forwarded_link_asks_for_a_code_that_goes_only_to_the_reviewer(client, draft):
    policy = SecureLinkPolicy.load()
    policy.resend_cooldown_seconds = 0
    policy.save()
    link = make_link(draft, [ALICE], role="view")
    verified(client, link)
    forwarded = Client()  # another browser: the grant cookie does not come along
    page = forwarded.get(landing_url(link))
    assert page.status_code == 200
    assert "Draft title v1" not in page.content.decode()
    mail.outbox.clear()
    request_code(forwarded, link, MALLORY)
    assert all(MALLORY not in m.to for m in mail.outbox)
    request_code(forwarded, link, ALICE)
    assert last_code(ALICE)
    # Only the listed reviewer gets a code (the sharer is told of the attempt).
    assert all(MALLORY not in m.to for m in mail.outbox)
    assert [m.to for m in mail.outbox if "Your code is" in m.body] == [[ALICE]]


def test_a_revoked_link_shows_the_removed_page_on_the_next_request(client, draft):
    link = make_link(draft, [ALICE], role="view")
    verified(client, link)
    assert "Draft title v1" in preview_html(client, link)
    services.revoke_link(link)
    response = client.get(landing_url(link))
    assert response.status_code == 404
    assert "Draft title v1" not in response.content.decode()


def test_a_deleted_page_ends_the_preview_with_the_gone_page(client, draft):
    link = make_link(draft, [ALICE], role="view")
    verified(client, link)
    draft.delete()
    response = client.get(landing_url(link))
    assert response.status_code == 410


def test_a_user_who_cannot_edit_the_page_cannot_share_it(client, section, draft):
    other = section.get_parent().add_child(instance=Page(title="Other", slug="other"))
    client.force_login(page_editor(other, "outsider"))
    assert client.get(share_page_url(draft)).status_code == 403
    assert post_share(client, draft).status_code == 403
    assert not ShareLink.objects.exists()


def test_editing_without_add_sharelink_is_not_enough(client, section, draft):
    client.force_login(page_editor(section, "plain", perms=[ADMIN]))
    assert post_share(client, draft).status_code == 403


def test_page_sharing_off_in_policy_is_refused_with_a_clear_message(
    client, superuser, draft
):
    link = make_link(draft, [ALICE], role="view")
    policy = SecureLinkPolicy.load()
    policy.allow_page_previews = False
    policy.save()
    client.force_login(superuser)
    response = post_share(client, draft)
    assert response.status_code == 403
    assert "does not allow sharing page previews" in response.content.decode()
    with pytest.raises(ValidationError):
        make_link(draft, [ALICE], role="view")
    # An existing preview stops on its next request.
    reviewer = Client()
    assert reviewer.get(landing_url(link)).status_code == 403


def test_a_page_preview_is_view_only_and_never_for_anyone(draft):
    with pytest.raises(ValidationError) as error:
        make_link(draft, [ALICE], role="download")
    assert "role" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        make_link(draft, audience="anyone", role="view")
    assert "audience" in error.value.message_dict


def test_the_policy_maximum_caps_the_expiry(draft):
    too_late = timezone.now() + datetime.timedelta(days=60)
    with pytest.raises(ValidationError) as error:
        make_link(draft, [ALICE], role="view", expires_at=too_late)
    assert "expires_at" in error.value.message_dict


def test_the_shared_links_index_and_manage_access_list_the_page_link(
    client, superuser, draft
):
    link = make_link(draft, [ALICE], role="view")
    client.force_login(superuser)
    index = client.get(reverse("wagtail_securelink_sharelink:index"))
    assert index.status_code == 200
    html = index.content.decode()
    assert "Draft title v1 (page preview)" in html
    manage = reverse("wagtail_securelink_admin:manage_page", args=[draft.pk])
    assert manage in html
    page = client.get(manage)
    assert page.status_code == 200
    assert link.url in page.content.decode()
    # A preview is view only but carries no watermark: Manage access does not say one.
    assert "<dt>Watermark</dt>" not in page.content.decode()
    filtered = client.get(
        reverse("wagtail_securelink_sharelink:index"), {"target_type": "page"}
    )
    assert "Draft title v1" in filtered.content.decode()


def test_an_editor_sees_only_the_page_links_of_pages_they_may_edit(
    client, section, draft
):
    make_link(draft, [ALICE], role="view")
    other = section.get_parent().add_child(instance=Page(title="Elsewhere", slug="x"))
    make_link(other, [ALICE], role="view")
    client.force_login(page_editor(section))
    html = client.get(reverse("wagtail_securelink_sharelink:index")).content.decode()
    assert "Draft title v1" in html
    assert "Elsewhere" not in html


def test_the_page_editor_header_and_listing_offer_share_preview(client, section, draft):
    client.force_login(page_editor(section))
    url = share_page_url(draft)
    edit = client.get(reverse("wagtailadmin_pages:edit", args=[draft.pk]))
    assert edit.status_code == 200
    assert url in edit.content.decode()
    listing = client.get(reverse("wagtailadmin_explore", args=[section.pk]))
    assert listing.status_code == 200
    assert url in listing.content.decode()


def test_no_share_preview_button_for_who_cannot_share(client, section, draft):
    client.force_login(page_editor(section, "plain", perms=[ADMIN]))
    edit = client.get(reverse("wagtailadmin_pages:edit", args=[draft.pk]))
    assert edit.status_code == 200
    assert share_page_url(draft) not in edit.content.decode()


def test_securelink_share_page_command(draft):
    make_user("owner", superuser=True)
    out = StringIO()
    call_command(
        "securelink_share",
        "--page",
        str(draft.pk),
        "--to",
        ALICE,
        "--page-revision",
        "shared",
        "--no-email",
        stdout=out,
    )
    link = ShareLink.objects.get()
    assert (link.target_type, link.role, link.page_version) == (
        "page",
        "view",
        "shared",
    )
    assert out.getvalue().strip().splitlines()[-1] == link.url


@pytest.mark.parametrize(
    "name, args, method",
    [
        ("download", (), "get"),
        ("view_file", (), "get"),
        ("replace", (), "post"),
        ("page_image", (1,), "get"),
        ("collection_page_image", (1, 1), "get"),
        ("zip", (), "get"),
        ("upload", (), "post"),
        ("folder", (1,), "get"),
        ("folder_zip", (1,), "get"),
        ("collection_document", (1,), "get"),
        ("collection_download", (1,), "get"),
    ],
)
def test_the_document_views_give_nothing_for_a_page_link(
    client, draft, name, args, method
):
    """A page preview has no file, folder or upload: every other visitor URL of its
    token answers with a refusal, never a 500 nor a file."""
    link = make_link(draft, [ALICE], role="view")
    verified(client, link)
    url = reverse(f"wagtail_securelink:{name}", args=[link.token, *args])
    response = getattr(client, method)(url)
    assert 300 <= response.status_code < 500, (name, response.status_code)
    assert not response.has_header("Content-Disposition")


def test_no_share_preview_in_the_editor_header_while_previews_are_off(
    client, section, draft
):
    policy = SecureLinkPolicy.load()
    policy.allow_page_previews = False
    policy.save()
    client.force_login(page_editor(section))
    edit = client.get(reverse("wagtailadmin_pages:edit", args=[draft.pk]))
    assert share_page_url(draft) not in edit.content.decode()


def test_a_lowered_page_maximum_ends_existing_previews(client, draft):
    """The policy applies to existing links (SPEC §6): the maximum counts from the
    link's creation, in Python and in SQL alike."""
    link = make_link(draft, [ALICE], role="view")
    verified(client, link)
    policy = SecureLinkPolicy.load()
    policy.page_max_expiry_days = 1
    policy.save()
    assert ShareLink.objects.active().filter(pk=link.pk).exists()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
        link.refresh_from_db()
        assert link.status == "expired"
        assert not ShareLink.objects.active().filter(pk=link.pk).exists()
        assert client.get(landing_url(link)).status_code == 404


def test_people_a_person_and_the_activity_report_show_the_page_link(
    client, superuser, draft
):
    link = make_link(draft, [ALICE], role="view")
    verified(Client(), link).get(landing_url(link))
    client.force_login(superuser)
    people = client.get(reverse("wagtail_securelink_people:index"))
    assert people.status_code == 200
    assert ALICE in people.content.decode()
    person = client.get(reverse("wagtail_securelink_admin:person"), {"email": ALICE})
    assert person.status_code == 200
    assert "Draft title v1" in person.content.decode()
    report = client.get(reverse("wagtail_securelink_admin:activity"))
    assert report.status_code == 200
    assert "Draft title v1" in report.content.decode()
