"""Private items in the admin, the CLI and the checks (SPEC §2 *Private item*, S16)."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.models import Page, ReferenceIndex

from tests.factories import make_collection, make_document
from wagtail_securelink.checks import check_direct_serve_method, check_upload_scanner
from wagtail_securelink.models import AccessEvent, PrivateItem, ShareLink

pytestmark = pytest.mark.django_db
ALICE = "alice@example.com"


def use_on_live_page(document, title="Price list", live=True) -> Page:
    """A page that links to the document, as Wagtail's reference index records it."""
    page = Page(title=title, slug=title.lower().replace(" ", "-"), live=live)
    Page.get_first_root_node().add_child(instance=page)
    page_type = ContentType.objects.get_for_model(Page)
    ReferenceIndex.objects.create(
        content_type=page_type,
        base_content_type=page_type,
        object_id=str(page.pk),
        to_content_type=ContentType.objects.get_for_model(get_document_model()),
        to_object_id=str(document.pk),
        model_path="body",
        content_path="body",
        content_path_hash=ReferenceIndex._get_content_path_hash("body"),
    )
    return page


def share_url(document):
    return reverse("wagtail_securelink_admin:share_document", args=[document.pk])


def share(client, document, **extra):
    data = {"audience": "specific", "role": "download", "recipients": ALICE}
    return client.post(share_url(document), {**data, **extra})


def test_share_form_says_public_and_offers_keep_public_unticked(
    client, editor, contract
):
    client.force_login(editor)
    page = client.get(share_url(contract)).content.decode()
    assert 'data-securelink-privacy="public"' in page
    assert "No live page uses it." in page
    assert 'name="keep_public"' in page
    assert client.get(share_url(contract)).context["form"]["keep_public"].value() in (
        False,
        None,
    )
    assert share(client, contract).status_code == 302
    assert PrivateItem.objects.get(document=contract).private
    assert AccessEvent.objects.filter(event="item_made_private").exists()


def test_live_pages_are_named_and_keep_public_is_ticked(client, editor, contract):
    use_on_live_page(contract, "Price list")
    use_on_live_page(contract, "Old draft", live=False)
    client.force_login(editor)
    page = client.get(share_url(contract)).content.decode()
    assert "Price list" in page and "Old draft" not in page
    assert "data-securelink-live-pages" in page
    form = client.get(share_url(contract)).context["form"]
    assert form["keep_public"].value() is True
    assert share(client, contract, keep_public="on").status_code == 302
    assert not PrivateItem.objects.get(document=contract).private
    assert AccessEvent.objects.filter(event="item_kept_public").exists()
    assert client.get(contract.url).status_code == 200


def test_share_form_of_a_private_item_offers_no_keep_public(
    client, superuser, contract
):
    client.force_login(superuser)
    share(client, contract)
    page = client.get(share_url(contract)).content.decode()
    assert 'data-securelink-privacy="private"' in page
    assert 'name="keep_public"' not in page
    link = ShareLink.objects.get()
    result = client.get(
        reverse("wagtail_securelink_admin:share_result", args=[link.pk])
    ).content.decode()
    assert 'data-securelink-privacy="private"' in result


def test_collection_share_form_and_manage_access(client, superuser, legal):
    inner = make_document("Inner", "inner.pdf", collection=legal)
    use_on_live_page(inner, "Team page")
    client.force_login(superuser)
    url = reverse("wagtail_securelink_admin:share_collection", args=[legal.pk])
    page = client.get(url).content.decode()
    assert "Team page" in page and 'name="keep_public"' in page
    response = client.post(
        url,
        {
            "audience": "specific",
            "role": "download",
            "recipients": ALICE,
            "include_descendants": "on",
        },
    )
    assert response.status_code == 302
    row = PrivateItem.objects.get(collection=legal)
    assert row.private and row.include_descendants
    manage = reverse("wagtail_securelink_admin:manage_collection", args=[legal.pk])
    assert "Make public" in client.get(manage).content.decode()
    client.post(
        reverse("wagtail_securelink_admin:make_collection_public", args=[legal.pk])
    )
    assert Client().get(inner.url).status_code == 200


def test_cli_keep_public_and_default(superuser):
    collection = make_collection("CLI")
    kept = make_document("Kept", "kept.pdf", collection=collection)
    made = make_document("Made", "made.pdf", collection=collection)
    out = io.StringIO()
    call_command(
        "securelink_share",
        "--document",
        str(kept.pk),
        "--to",
        ALICE,
        "--no-email",
        "--keep-public",
        stdout=out,
    )
    assert "kept public" in out.getvalue()
    assert not PrivateItem.objects.get(document=kept).private
    out = io.StringIO()
    call_command(
        "securelink_share",
        "--document",
        str(made.pk),
        "--to",
        ALICE,
        "--no-email",
        stdout=out,
    )
    assert "now private" in out.getvalue()
    assert PrivateItem.objects.get(document=made).private


def test_direct_serve_method_is_explained_by_a_check(settings):
    settings.WAGTAILDOCS_SERVE_METHOD = "serve_view"
    assert check_direct_serve_method(None) == []
    settings.WAGTAILDOCS_SERVE_METHOD = "direct"
    (warning,) = check_direct_serve_method(None)
    assert warning.id == "wagtail_securelink.W005"
    assert "https://wagtail-securelink.readthedocs.io/" in warning.hint


def test_a_scanner_that_cannot_be_imported_is_an_error(settings):
    settings.WAGTAIL_SECURELINK_UPLOAD_SCANNER = None
    assert check_upload_scanner(None) == []
    settings.WAGTAIL_SECURELINK_UPLOAD_SCANNER = "no.such.scanner"
    assert [e.id for e in check_upload_scanner(None)] == ["wagtail_securelink.E007"]
    settings.WAGTAIL_SECURELINK_UPLOAD_SCANNER = "wagtail_securelink.conf.DEFAULTS"
    assert [e.id for e in check_upload_scanner(None)] == ["wagtail_securelink.E007"]


def test_the_bulk_rule_agrees_with_the_one_document_rule_in_three_queries(
    django_assert_num_queries,
):
    """privacy.private_document_ids serves listings (Wagtail's API): the same answer as
    is_private for every document, in a constant number of queries."""
    from time_machine import travel

    from wagtail_securelink.sharing import privacy

    superuser = get_user_model().objects.create_superuser("rules", "r@example.com", "x")
    top = make_collection("Top")
    sub = make_collection("Sub", parent=top)
    other = make_collection("Other")
    docs = {
        name: make_document(title=name, filename=f"{name}.txt", collection=collection)
        for name, collection in [
            ("top", top),
            ("sub", sub),
            ("other", other),
            ("public-in-sub", sub),
            ("uploaded", other),
        ]
    }
    with travel("2026-01-01 10:00", tick=False):
        # As a collection link with subcollections leaves it: Sub is covered too.
        PrivateItem.objects.create(
            collection=top, private=True, include_descendants=True, reason="shared"
        )
    with travel("2026-01-01 11:00", tick=False):
        privacy.make_public(docs["public-in-sub"], user=superuser)  # newer, nearer
    privacy.mark_uploaded(docs["uploaded"], link=None)
    Document = get_document_model()
    expected = {d.pk for d in Document.objects.all() if privacy.is_private(d)}
    assert expected == {docs[n].pk for n in ("top", "sub", "uploaded")}
    with django_assert_num_queries(3):
        assert privacy.private_document_ids(Document.objects.all()) == expected
    for i in range(20):
        make_document(title=f"more {i}", filename=f"m{i}.txt", collection=sub)
    with django_assert_num_queries(3):
        assert len(privacy.private_document_ids(Document.objects.all())) == 23
