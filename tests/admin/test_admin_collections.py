"""Share / Manage access buttons on Wagtail's own collection edit view."""

import pytest
from django.urls import reverse

from tests.factories import make_collection, make_user

pytestmark = pytest.mark.django_db


def test_collection_edit_view_offers_share_and_manage(client):
    collection = make_collection("Board papers")
    client.force_login(make_user("root", superuser=True))
    page = client.get(reverse("wagtailadmin_collections:edit", args=[collection.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert (
        reverse("wagtail_securelink_admin:share_collection", args=[collection.pk])
        in html
    )
    assert (
        reverse("wagtail_securelink_admin:manage_collection", args=[collection.pk])
        in html
    )
    assert "privacy" in html.lower()  # Wagtail's own block content is kept


def test_collection_edit_view_hides_buttons_from_users_who_may_not_share(client):
    collection = make_collection("Board papers")
    user = make_user(
        "curator",
        perms=["wagtailadmin.access_admin", "wagtailcore.change_collection"],
    )
    client.force_login(user)
    page = client.get(reverse("wagtailadmin_collections:edit", args=[collection.pk]))
    assert page.status_code in (200, 302, 403)
    assert b"data-securelink-collection-buttons" not in page.content
