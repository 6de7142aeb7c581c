"""S9: verification rotates the session key and creates a server-side grant; the grant
cookie is signed per link, HttpOnly, SameSite=Lax, Secure and ``__Host-`` on HTTPS; the
grant is checked on every request, so revoking, removing the recipient, locking, expiry
or a shorter reverification setting ends it on the very next request."""

import datetime

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.helpers import (
    enter_code_url,
    landing_url,
    last_code,
    request_code,
    send_code_url,
    verify,
)
from tests.security.conftest import ALICE, item_mark, like, shows_item
from wagtail_securelink import services
from wagtail_securelink.models import Grant, Recipient, SecureLinkPolicy, ShareLink
from wagtail_securelink.verification import grants

pytestmark = pytest.mark.django_db


def url(name, link):
    return reverse(f"wagtail_securelink:{name}", args=[link.token])


def has_access(client, link, **extra) -> bool:
    """The document's file, or the page's rendered draft (issue 31: a page preview
    under the same rules)."""
    return shows_item(client, link, **extra)


def test_verification_rotates_the_session_key(client, any_link):
    """S9: no session fixation: the key the visitor had before is not the one after."""
    link = any_link
    request_code(client, link, ALICE)
    before = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    response = client.post(enter_code_url(link), {"code": last_code(ALICE)})
    assert response.status_code == 303
    after = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert after and after != before
    # A fixed (planted) session key does not carry the grant either.
    planted = Client()
    planted.cookies[django_settings.SESSION_COOKIE_NAME] = before
    assert not has_access(planted, link)
    assert has_access(client, link)


def test_cookie_attributes_over_http(client, any_link):
    """S9: HttpOnly, SameSite=Lax, Path=/; the grant lives in the database."""
    link = any_link
    response = verify(client, link, ALICE)
    name = grants.cookie_name(link, secure=False)
    cookie = response.cookies[name]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert not cookie["domain"]
    grant = Grant.objects.get()
    assert grant.secret_hash not in cookie.value
    assert grants.load(link, cookie.value)[0] == grant.pk


def test_cookie_attributes_over_https(client, any_link):
    """S9: on HTTPS the cookie is Secure and ``__Host-`` prefixed."""
    link = any_link
    client.post(send_code_url(link), {"email": ALICE}, secure=True)
    response = client.post(
        enter_code_url(link), {"code": last_code(ALICE)}, secure=True
    )
    assert response.status_code == 303
    name = grants.cookie_name(link, secure=True)
    assert name.startswith("__Host-")
    cookie = response.cookies[name]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert not cookie["domain"]
    assert has_access(client, link, secure=True)


def test_cookie_from_one_link_is_refused_on_another(client, any_link):
    """S9: the cookie is signed with a per-link salt: replayed on link B it opens nothing."""
    link = any_link
    other = like(link, [ALICE])
    verify(client, link, ALICE)
    value = client.cookies[grants.cookie_name(link, secure=False)].value
    assert grants.load(link, value) is not None
    assert grants.load(other, value) is None  # the signature itself is per link
    thief = Client()
    thief.cookies[grants.cookie_name(other, secure=False)] = value
    assert not has_access(thief, other)
    assert b"Confirm your email address" in thief.get(landing_url(other)).content
    # Re-signing the same grant for link B (as if the salt were shared) is refused too:
    # the grant row belongs to link A.
    grant_id, secret = grants.load(link, value)
    thief.cookies[grants.cookie_name(other, secure=False)] = grants.dump(
        other, grant_id, secret
    )
    assert not has_access(thief, other)


def test_forged_or_tampered_cookies_are_refused(any_link):
    """S9: a cookie with a wrong secret or a bad signature opens nothing."""
    link = any_link
    verify(Client(), link, ALICE)
    grant = Grant.objects.get()
    name = grants.cookie_name(link, secure=False)
    for value in (
        grants.dump(link, grant.pk, grants.new_secret()),
        "x" * 600,
        '[1, "secret"]',
    ):
        forger = Client()
        forger.cookies[name] = value
        assert not has_access(forger, link)


@pytest.mark.parametrize(
    "end",
    [
        "revoke",
        "remove_recipient",
        "lock",
        "shorter_reverification",
        "reverification_period",
        "link_expiry",
        "sign_out",
    ],
)
def test_the_grant_ends_on_the_next_request(client, any_link, end):
    """S9: each of these ends access on the very next request."""
    link = any_link
    verify(client, link, ALICE)
    assert has_access(client, link)
    recipient = Recipient.objects.get(link=link, email=ALICE)
    travel = None
    if end == "revoke":
        services.revoke_link(link)
    elif end == "remove_recipient":
        services.remove_recipient(recipient)
    elif end == "lock":
        Recipient.objects.filter(pk=recipient.pk).update(locked_at=timezone.now())
    elif end == "shorter_reverification":
        travel = time_machine.travel(timezone.now() + datetime.timedelta(days=2))
        travel.start()
        assert has_access(client, link)  # 2 days < 15 days
        policy = SecureLinkPolicy.load()
        policy.reverification_days = 1
        policy.save()
    elif end == "reverification_period":
        travel = time_machine.travel(timezone.now() + datetime.timedelta(days=14))
        travel.start()
        assert has_access(client, link)  # 14 days < the site's 15
        travel.stop()
        travel = time_machine.travel(
            timezone.now() + datetime.timedelta(days=15, seconds=1)
        )
        travel.start()
    elif end == "sign_out":
        assert client.post(url("sign_out", link)).status_code == 200
    elif end == "link_expiry":
        ShareLink.objects.filter(pk=link.pk).update(
            expires_at=timezone.now() + datetime.timedelta(hours=1)
        )
        travel = time_machine.travel(timezone.now() + datetime.timedelta(hours=2))
        travel.start()
    try:
        assert not has_access(client, link)
        page = client.get(landing_url(link))
        assert item_mark(link) not in page.content
        if end in ("revoke", "link_expiry"):
            assert page.status_code == 404
            assert b"This link has been removed or has expired" in page.content
        else:
            assert b"Confirm your email address" in page.content
        if end in ("shorter_reverification", "reverification_period"):
            assert ALICE.encode() in page.content  # the address is pre-filled
        if end in ("lock", "shorter_reverification", "sign_out"):
            assert Grant.objects.get().ended_at is not None
        if end == "remove_recipient":
            assert not Grant.objects.exists()
    finally:
        if travel is not None:
            travel.stop()
