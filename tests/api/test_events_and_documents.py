"""/securelink/events/ (the activity report's rows and filters) and S16 on Wagtail's
own v3 documents endpoints."""

import pytest

from tests.factories import make_document, make_link, make_user
from wagtail_securelink.api import documents as api_documents
from wagtail_securelink.sharing import privacy

pytestmark = pytest.mark.django_db


def test_events_filters_and_visibility(admin_api, editor_api, contract, budget):
    mine = make_link(contract, ["alice@example.com"])
    theirs = make_link(budget, ["bob@example.org"])
    admin_api.post(f"/links/{mine.pk}/revoke/")

    def events(api, **query):
        response = api.get("/events/", query)
        assert response.status_code == 200, response.content
        return response.json()

    everything = events(admin_api)
    # two created (each making its document private, S16), one revoked
    assert everything["count"] == 5
    assert {e["link_id"] for e in events(editor_api)["items"]} == {mine.pk}
    assert [e["event"] for e in events(admin_api, event="link_revoked")["items"]] == [
        "link_revoked"
    ]
    assert events(admin_api, link=theirs.pk)["count"] == 2  # created, made private
    assert events(admin_api, item="budg")["items"][0]["item"] == "Budget"
    revoked = events(admin_api, event="link_revoked")["items"][0]
    assert revoked["detail"]["api_token"] == admin_api.token.pk
    assert revoked["user"] == "root"
    assert events(admin_api, date_from="2000-01-01", date_to="2000-01-02")["count"] == 0
    page = events(admin_api, limit=1, offset=1)
    assert page["count"] == 5 and len(page["items"]) == 1


def test_events_need_sharelink_permission(token_for):
    user = make_user("reader", perms=["wagtailadmin.access_admin"])
    assert token_for(user).get("/events/").status_code == 403


# S16: Wagtail's /api/v3/documents/ ------------------------------------------------------


@pytest.fixture
def private_titles():
    """Make a document private, as an editor's "Make private again" does (S16)."""

    admin = make_user("privacy-admin", superuser=True)

    def make_private(document):
        privacy.make_private(document, user=admin)

    return make_private


def _listed(client, **extra):
    response = client.get("/api/v3/documents/", **extra)
    assert response.status_code == 200, response.content
    return {item["title"] for item in response.json()["items"]}


def test_private_documents_are_hidden_from_anonymous_callers(
    client, legal, private_titles
):
    secret = make_document("Private contract", collection=legal)
    make_document("Public leaflet", collection=legal)
    private_titles(secret)
    assert _listed(client) == {"Public leaflet"}
    assert client.get(f"/api/v3/documents/{secret.pk}/").status_code == 404


def test_private_documents_are_listed_for_users_who_see_them_in_the_admin(
    client, legal, editor, token_for, private_titles, finance
):
    mine = make_document("Private contract", collection=legal)
    elsewhere = make_document("Private budget", collection=finance)
    private_titles(mine)
    private_titles(elsewhere)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_for(editor).secret}"}
    assert _listed(client, **auth) == {"Private contract"}
    assert client.get(f"/api/v3/documents/{elsewhere.pk}/", **auth).status_code == 404
    superuser = make_user("boss", superuser=True)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_for(superuser).secret}"}
    assert _listed(client, **auth) == {"Private contract", "Private budget"}


def test_the_wrapper_is_installed_once():
    from wagtail.documents.api.v3 import router

    assert router.get_documents_queryset.securelink_wrapped
    assert api_documents.install() is True
    assert not getattr(
        router.get_documents_queryset.__wrapped__, "securelink_wrapped", False
    )
