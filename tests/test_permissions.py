"""Who may share a document (SPEC §5): add_sharelink AND Wagtail's "change" on it."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from wagtail import hooks

from tests.factories import make_document, make_user
from wagtail_securelink.permissions import (
    get_document_permission_policy,
    shareable_document_ids,
    user_can_share_document,
    user_can_share_documents,
)

pytestmark = pytest.mark.django_db

ADMIN = "wagtailadmin.access_admin"
ADD_LINK = "wagtail_securelink.add_sharelink"


def test_policy_is_wagtails_own_document_policy():
    from wagtail import VERSION as WAGTAIL_VERSION
    from wagtail.documents import get_document_model

    if WAGTAIL_VERSION >= (8, 0):
        from wagtail.permissions import policy_registry

        expected = policy_registry.get_by_type(get_document_model())
    else:  # Wagtail 7.4 LTS
        from wagtail.documents.permissions import permission_policy as expected

    assert get_document_permission_policy() is expected


def test_superuser_may_share_everything(superuser, contract):
    assert user_can_share_documents(superuser)
    assert user_can_share_document(superuser, contract)
    assert shareable_document_ids(superuser, [contract]) == {contract.pk}


def test_editor_may_share_only_in_their_collection(editor, contract, budget):
    # conftest's editor: add_sharelink, and "change" on documents in "Legal" only.
    assert user_can_share_documents(editor)
    assert user_can_share_document(editor, contract)
    assert not user_can_share_document(editor, budget)
    assert shareable_document_ids(editor, [contract, budget]) == {contract.pk}


def test_change_permission_alone_is_not_enough(legal):
    user = make_user(
        "editor", perms=[ADMIN], collection_perms=[(legal, "change_document")]
    )
    document = make_document(collection=legal)
    assert not user_can_share_documents(user)
    assert not user_can_share_document(user, document)
    assert shareable_document_ids(user, [document]) == set()


def test_add_sharelink_alone_is_not_enough(legal):
    user = make_user("editor", perms=[ADMIN, ADD_LINK])
    document = make_document(collection=legal)
    assert not user_can_share_documents(user)
    assert not user_can_share_document(user, document)


def test_inactive_superuser_may_not_share(superuser, contract):
    superuser.is_active = False
    assert not user_can_share_document(superuser, contract)


def test_permissions_are_offered_in_the_group_editor():
    offered = set()
    for fn in hooks.get_hooks("register_permissions"):
        offered.update(fn().values_list("content_type__app_label", "codename"))
    assert {
        ("wagtail_securelink", "add_sharelink"),
        ("wagtail_securelink", "change_sharelink"),
        ("wagtail_securelink", "delete_sharelink"),
    } <= offered
    assert Permission.objects.filter(
        content_type__app_label="wagtail_securelink", codename="add_sharelink"
    ).exists()


def test_group_editor_offers_the_add_sharelink_box(client, superuser):
    client.force_login(superuser)
    response = client.get(reverse("wagtailusers_groups:add"))
    assert response.status_code == 200
    add = Permission.objects.get(
        content_type__app_label="wagtail_securelink", codename="add_sharelink"
    )
    html = response.content.decode()
    assert f'value="{add.pk}"' in html
    assert "shared link" in html.lower()
