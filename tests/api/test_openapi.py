"""The schema that Wagtail's API v3 serves at /api/v3/openapi.json describes every
secure-link endpoint, with bearer auth and the problem responses."""

import pytest

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    ("post", "/api/v3/securelink/links/"): "securelink_links_create",
    ("get", "/api/v3/securelink/links/"): "securelink_links_list",
    ("get", "/api/v3/securelink/links/{link_id}/"): "securelink_links_detail",
    ("patch", "/api/v3/securelink/links/{link_id}/"): "securelink_links_change_expiry",
    ("post", "/api/v3/securelink/links/{link_id}/revoke/"): "securelink_links_revoke",
    ("post", "/api/v3/securelink/links/revoke/"): "securelink_links_revoke_many",
    (
        "post",
        "/api/v3/securelink/links/{link_id}/recipients/",
    ): "securelink_links_add_recipients",
    (
        "delete",
        "/api/v3/securelink/links/{link_id}/recipients/{recipient_id}/",
    ): "securelink_links_remove_recipient",
    (
        "post",
        "/api/v3/securelink/links/{link_id}/recipients/{recipient_id}/resend/",
    ): "securelink_links_resend_invitation",
    ("get", "/api/v3/securelink/events/"): "securelink_events_list",
    ("get", "/api/v3/securelink/events/csv/"): "securelink_events_csv",
}


@pytest.fixture
def schema(client):
    response = client.get("/api/v3/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_every_endpoint_is_described(schema):
    described = {
        (method, path): operation["operationId"]
        for path, operations in schema["paths"].items()
        if "/securelink/" in path
        for method, operation in operations.items()
    }
    assert described == ENDPOINTS


def test_every_endpoint_needs_the_bearer_token(schema):
    for (method, path), _name in ENDPOINTS.items():
        operation = schema["paths"][path][method]
        assert operation["security"], (method, path)
        assert operation["summary"]
        assert "secure links" in operation["tags"]


def test_no_response_has_a_password_or_token_field(schema):
    components = schema["components"]["schemas"]
    for name in ("LinkSchema", "EventSchema", "RecipientSchema"):
        assert not {"password", "token", "key", "code"} & set(
            components[name]["properties"]
        )
    assert "url" in components["LinkCreatedSchema"]["properties"]
    assert "url" not in components["LinkSchema"]["properties"]


def test_the_csv_export_is_described_as_text_csv_with_the_list_filters(schema):
    export = schema["paths"]["/api/v3/securelink/events/csv/"]["get"]
    assert export["responses"]["200"]["content"] == {
        "text/csv": {"schema": {"type": "string"}}
    }
    assert {"401", "403", "422", "429"} <= set(export["responses"])
    listing = schema["paths"]["/api/v3/securelink/events/"]["get"]
    filters = {p["name"] for p in listing["parameters"]} - {"limit", "offset"}
    assert {p["name"] for p in export["parameters"]} == filters
