"""The policy settings model of SPEC §6: defaults, bounds, and its place in Wagtail settings."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import make_user
from wagtail_securelink.models import SecureLinkPolicy

pytestmark = pytest.mark.django_db


def test_defaults_match_the_spec():
    policy = SecureLinkPolicy.load()
    assert policy.allowed_audiences == ["specific", "organization", "anyone"]
    assert (policy.default_audience, policy.default_role) == ("specific", "download")
    assert policy.reverification_days == 15
    assert policy.code_lifetime_minutes == 10
    assert policy.code_length == 6
    assert policy.code_max_attempts == 5
    assert policy.lockout_threshold == 100
    assert policy.resend_cooldown_seconds == 60
    assert policy.anyone_max_expiry_days == 30
    assert policy.default_expiry_days is None
    assert policy.notify_first_open and policy.notify_unlisted_attempt
    assert not policy.show_item_name_before_verification
    assert policy.zip_max_mb == 500
    assert policy.event_retention_days == 365
    assert policy.store_ip_addresses == "anonymised"


@pytest.mark.parametrize(
    ("field", "bad", "good"),
    [
        ("reverification_days", 0, 1),
        ("reverification_days", 366, 365),
        ("code_lifetime_minutes", 31, 30),
        ("code_length", 5, 8),
        ("code_length", 9, 6),
        ("code_max_attempts", 11, 1),
        ("lockout_threshold", 9, 100),
        ("lockout_threshold", 101, 10),
        ("resend_cooldown_seconds", 3601, 0),
        ("anyone_max_expiry_days", 731, 0),
        ("event_retention_days", 29, 3650),
    ],
)
def test_bounds(field, bad, good):
    policy = SecureLinkPolicy.load()
    setattr(policy, field, bad)
    with pytest.raises(ValidationError) as excinfo:
        policy.full_clean()
    assert field in excinfo.value.message_dict
    setattr(policy, field, good)
    policy.full_clean()


def test_default_audience_must_be_allowed():
    policy = SecureLinkPolicy.load()
    policy.allow_anyone = False
    policy.default_audience = "anyone"
    with pytest.raises(ValidationError):
        policy.full_clean()


def test_editable_in_wagtail_settings(client):
    admin = make_user("admin", superuser=True)
    client.force_login(admin)
    url = reverse(
        "wagtailsettings:edit", args=["wagtail_securelink", "securelinkpolicy"]
    )
    page = client.get(url, follow=True)
    url = page.redirect_chain[-1][0] if page.redirect_chain else url
    assert page.status_code == 200
    assert (
        b"Reverification period" in page.content
        or b"reverification period" in page.content
    )
    data = {
        "allow_organization": "on",
        "allow_anyone": "on",
        "default_audience": "specific",
        "default_role": "view",
        "specific_roles": ["view", "download", "edit", "upload"],
        "organization_roles": ["view", "download"],
        "anyone_roles": ["view"],
        "reverification_days": "7",
        "code_lifetime_minutes": "10",
        "code_length": "8",
        "code_max_attempts": "5",
        "lockout_threshold": "100",
        "resend_cooldown_seconds": "60",
        "passkeys": "offered_limited",
        "passkey_stay_hours": "8",
        "anyone_max_expiry_days": "30",
        "default_expiry_days": "",
        "allowed_domains": "",
        "blocked_domains": "evil.example",
        "notify_first_open": "on",
        "notify_unlisted_attempt": "on",
        "zip_max_mb": "500",
        "upload_max_mb": "100",
        "watermark_by_default": "on",
        "watermark_pdf_max_mb": "50",
        "default_terms": "",
        "event_retention_days": "365",
        "store_ip_addresses": "none",
        "allow_page_previews": "on",
        "page_max_expiry_days": "30",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    policy = SecureLinkPolicy.load()
    assert (policy.reverification_days, policy.code_length, policy.default_role) == (
        7,
        8,
        "view",
    )
    assert policy.blocked_domain_list == ["evil.example"]
    assert (policy.passkeys, policy.passkey_stay_hours) == ("offered_limited", 8)
    assert policy.allowed_roles("anyone") == ["view"]
    assert policy.allowed_roles("organization") == ["view", "download"]
    # SPEC §6: the default role must be allowed for the default audience.
    refused = client.post(url, {**data, "specific_roles": ["download"]})
    assert refused.status_code == 200
    assert b"must be allowed for the default audience" in refused.content
    assert SecureLinkPolicy.load().allowed_roles("specific") == [
        "view",
        "download",
        "edit",
        "upload",
    ]
    data["reverification_days"] = "400"
    assert client.post(url, data).status_code == 200  # the form again, with the error
    assert SecureLinkPolicy.load().reverification_days == 7
