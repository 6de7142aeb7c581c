"""Reviewers' comments on a page preview: a verified reviewer writes plain text in the
banner, the sharer reads it escaped on Manage access and in an email."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from tests.factories import make_link, make_user
from tests.helpers import ALICE, landing_url, verified, visitor_url
from tests.sharing.test_page_links import page_editor, post_share, save_draft
from wagtail_securelink import services
from wagtail_securelink.choices import EventType
from wagtail_securelink.models import AccessEvent, PageComment, ShareLink
from wagtail_securelink.sharing import comments
from wagtail_securelink.tasks import background

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script> see https://evil.example/ <b>bold</b>'


@pytest.fixture
def sharer(section):
    return page_editor(section)


@pytest.fixture
def link(draft, sharer):
    return make_link(
        draft, [ALICE], role="view", allow_comments=True, created_by=sharer
    )


def comment_url(link):
    return visitor_url("comment", link)


def post_comment(client, link, text):
    response = client.post(comment_url(link), {"comment": text})
    background.flush()  # the sharer's email goes out after the response
    return response


def manage_url(page):
    return reverse("wagtail_securelink_admin:manage_page", args=[page.pk])


# The reviewer's side --------------------------------------------------------------------


def test_a_verified_reviewer_sees_the_form_and_comments(client, link, sharer):
    verified(client, link)
    preview = client.get(landing_url(link)).content.decode()
    assert f'action="{comment_url(link)}"' in preview
    assert 'name="csrfmiddlewaretoken"' in preview
    assert "Comment on this page" in preview
    # The address it will be signed with is the proven one.
    assert ALICE in preview

    mail.outbox.clear()
    response = post_comment(client, link, "The second paragraph\r\nneeds a date.")
    assert response.status_code == 303
    assert response["Location"] == landing_url(link) + "?commented=1"
    comment = PageComment.objects.get()
    assert (comment.link, comment.email, comment.body) == (
        link,
        ALICE,
        "The second paragraph\nneeds a date.",
    )
    assert comment.revision_id == link.page.latest_revision_id
    event = AccessEvent.objects.get(link=link, event=EventType.COMMENTED)
    assert event.email == ALICE
    assert event.detail["comment"] == comment.pk
    # The audit trail holds the comment's id and length, the text stays in its row.
    assert "paragraph" not in str(event.detail)
    thanks = client.get(response["Location"]).content.decode()
    assert "Thank you: your comment was sent to pageeditor." in thanks


def test_the_address_comes_from_the_grant_never_from_the_form(client, link):
    verified(client, link)
    response = client.post(
        comment_url(link),
        {"comment": "Hello", "email": "ceo@example.com", "author": "ceo@example.com"},
    )
    assert response.status_code == 303
    assert PageComment.objects.get().email == ALICE


def test_the_sharer_gets_the_comment_by_email_plain_text_first_and_escaped_in_html(
    client, link, sharer
):
    verified(client, link)
    mail.outbox.clear()
    post_comment(client, link, SCRIPT)
    [message] = mail.outbox
    assert message.to == [sharer.email]
    assert "Draft title v1" in message.subject
    assert f"{ALICE} commented on the preview" in message.body
    assert SCRIPT in message.body  # plain text: as typed
    html, kind = message.alternatives[0]
    assert kind == "text/html"
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert '<a href="https://evil.example/' not in html
    assert f"/admin/securelink/pages/{link.page_id}/" in message.body


def test_the_sharer_sees_the_comment_escaped_on_manage_access(client, link, sharer):
    reviewer = verified(Client(), link)
    post_comment(reviewer, link, SCRIPT + "\nsecond line")
    client.force_login(sharer)
    page = client.get(manage_url(link.page))
    assert page.status_code == 200
    html = page.content.decode()
    assert "1 comment" in html
    assert ALICE in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert '<script>alert("x")' not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert '<a href="https://evil.example/' not in html
    assert "<br>second line" in html


def test_the_banner_escapes_a_refused_comment_shown_again(client, link):
    verified(client, link)
    text = SCRIPT + "x" * comments.MAX_LENGTH
    response = client.post(comment_url(link), {"comment": text})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This comment is too long" in html
    assert 'aria-invalid="true"' in html
    assert "&lt;script&gt;alert" in html
    assert '<script>alert("x")' not in html
    assert not PageComment.objects.exists()


# Bad input: a clear message and a 4xx ----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["", "   \n\t ", "\x00\x01", None],
    ids=["empty", "blank", "controls only", "missing"],
)
def test_an_empty_comment_is_refused_with_a_message(client, link, text):
    verified(client, link)
    data = {} if text is None else {"comment": text}
    response = client.post(comment_url(link), data)
    assert response.status_code == 400
    assert "Write a comment before sending it." in response.content.decode()
    assert not PageComment.objects.exists()


def test_the_longest_comment_is_kept_one_more_character_is_refused(client, link):
    verified(client, link)
    too_long = client.post(
        comment_url(link), {"comment": "x" * (comments.MAX_LENGTH + 1)}
    )
    assert too_long.status_code == 400
    longest = client.post(comment_url(link), {"comment": "x" * comments.MAX_LENGTH})
    assert longest.status_code == 303
    assert len(PageComment.objects.get().body) == comments.MAX_LENGTH


def test_a_nul_and_other_control_characters_are_dropped(client, link):
    verified(client, link)
    assert post_comment(client, link, "a\x00b\x07c\n\td").status_code == 303
    assert PageComment.objects.get().body == "abc\n\td"


def test_a_forwarded_unverified_visitor_cannot_comment(client, link):
    verified(client, link)
    forwarded = Client()
    response = forwarded.post(comment_url(link), {"comment": "Let me in"})
    assert response.status_code == 302
    assert response["Location"] == landing_url(link)
    # The landing page asks the forwarder to prove an address; nothing was written.
    assert (
        "Confirm your email address"
        in forwarded.get(landing_url(link)).content.decode()
    )
    assert not PageComment.objects.exists()
    assert not AccessEvent.objects.filter(event=EventType.COMMENTED).exists()


def test_a_comment_without_the_csrf_token_is_refused(link):
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = verified(Client(), link).cookies  # the grant, no CSRF token
    response = strict.post(comment_url(link), {"comment": "hello"})
    assert response.status_code == 403
    assert not PageComment.objects.exists()


def test_a_revoked_link_refuses_comments(client, link):
    verified(client, link)
    services.revoke_link(link)
    response = client.post(comment_url(link), {"comment": "Too late"})
    assert response.status_code == 404
    assert "removed or has expired" in response.content.decode()
    assert not PageComment.objects.exists()


def test_a_link_without_allow_comments_refuses_them(client, draft):
    link = make_link(draft, [ALICE], role="view")
    verified(client, link)
    assert "Comment on this page" not in client.get(landing_url(link)).content.decode()
    response = client.post(comment_url(link), {"comment": "Hello"})
    assert response.status_code == 403
    assert "This link does not let you send comments." in response.content.decode()
    assert not PageComment.objects.exists()


def test_a_document_link_takes_no_comments(client, contract):
    link = make_link(contract, [ALICE])
    verified(client, link)
    response = client.post(comment_url(link), {"comment": "Hello"})
    assert response.status_code == 403
    assert not PageComment.objects.exists()


def test_get_on_the_comment_url_changes_nothing(client, link):
    verified(client, link)
    assert client.get(comment_url(link), {"comment": "x"}).status_code == 405
    assert not PageComment.objects.exists()


@override_settings(
    WAGTAIL_SECURELINK_RATE_COMMENT_PER_NETWORK="2/h",
    WAGTAIL_SECURELINK_RATE_COMMENT_PER_LINK="",
)
def test_comments_are_rate_limited(client, link):
    verified(client, link)
    assert post_comment(client, link, "one").status_code == 303
    assert post_comment(client, link, "two").status_code == 303
    third = post_comment(client, link, "three")
    assert third.status_code == 429
    assert int(third["Retry-After"]) > 0
    assert list(PageComment.objects.values_list("body", flat=True)) == ["two", "one"]
    assert AccessEvent.objects.filter(
        link=link, event=EventType.RATE_LIMITED, detail__scope="network"
    ).exists()


@override_settings(
    WAGTAIL_SECURELINK_RATE_COMMENT_PER_NETWORK="",
    WAGTAIL_SECURELINK_RATE_COMMENT_PER_LINK="1/h",
)
def test_the_link_limit_counts_every_reviewer(draft, sharer):
    link = make_link(
        draft,
        [ALICE, "bob@example.org"],
        role="view",
        allow_comments=True,
        created_by=sharer,
    )
    assert post_comment(verified(Client(), link), link, "one").status_code == 303
    bob = verified(Client(), link, "bob@example.org")
    assert post_comment(bob, link, "two").status_code == 429


def test_a_signed_in_colleague_comments_as_their_account(client, draft, sharer):
    link = make_link(
        draft,
        audience="organization",
        role="view",
        allow_comments=True,
        created_by=sharer,
    )
    colleague = make_user("colleague", email="colleague@example.com")
    client.force_login(colleague)
    assert post_comment(client, link, "Looks good").status_code == 303
    assert PageComment.objects.get().email == "colleague@example.com"


def test_a_pinned_revision_link_records_the_revision_shown(client, draft, sharer):
    link = make_link(
        draft,
        [ALICE],
        role="view",
        page_version="shared",
        allow_comments=True,
        created_by=sharer,
    )
    save_draft(draft, "Draft title v2")
    verified(client, link)
    post_comment(client, link, "On v1")
    assert PageComment.objects.get().revision_id == link.page_revision_id


# The sharer's side -----------------------------------------------------------------------


def test_the_share_form_offers_comments_for_pages_only(
    client, section, draft, contract
):
    editor = page_editor(section)
    client.force_login(editor)
    form = client.get(reverse("wagtail_securelink_admin:share_page", args=[draft.pk]))
    assert 'name="allow_comments"' in form.content.decode()
    assert post_share(client, draft, allow_comments="on").status_code == 302
    assert ShareLink.objects.get().allow_comments is True
    client.force_login(make_user("admin", superuser=True))
    document_form = client.get(
        reverse("wagtail_securelink_admin:share_document", args=[contract.pk])
    )
    assert 'name="allow_comments"' not in document_form.content.decode()


def test_comments_are_off_unless_the_sharer_allows_them(client, section, draft):
    client.force_login(page_editor(section))
    assert post_share(client, draft).status_code == 302
    assert ShareLink.objects.get().allow_comments is False


def test_only_a_page_preview_takes_comments(contract):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        make_link(contract, [ALICE], allow_comments=True)
    assert "allow_comments" in caught.value.message_dict


def test_the_share_command_allows_comments(draft, sharer):
    call_command(
        "securelink_share",
        "--page",
        str(draft.pk),
        "--to",
        ALICE,
        "--allow-comments",
        "--no-email",
        "--as",
        sharer.get_username(),
        stdout=StringIO(),
    )
    assert ShareLink.objects.get().allow_comments is True


def test_erasing_a_person_deletes_their_comments(client, link):
    verified(client, link)
    post_comment(client, link, "Mine")
    services.erase_address(ALICE)
    assert not PageComment.objects.exists()
