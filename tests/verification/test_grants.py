"""grants.py: the grant cookie (S9) — signed per link, its secret stored only hashed."""

import pytest
from django.core import signing
from django.http import HttpResponse
from django.test import RequestFactory

from tests.factories import make_document, make_link
from tests.helpers import ALICE, download_url, verify
from wagtail_securelink.models import Grant
from wagtail_securelink.verification import grants

pytestmark = pytest.mark.django_db


def cookie_of(client, link) -> str:
    return client.cookies[grants.cookie_name(link, False)].value


def test_the_cookie_names_the_grant_and_the_database_keeps_only_a_hash(client, link):
    verify(client, link, ALICE)
    grant_id, secret = grants.load(link, cookie_of(client, link))
    grant = Grant.objects.get()
    assert grant_id == grant.pk
    assert secret not in grant.secret_hash
    assert grants.secret_matches(secret, grant.secret_hash)
    assert not grants.secret_matches(secret + "x", grant.secret_hash)


def test_a_cookie_signed_for_one_link_does_not_load_on_another(client, link):
    verify(client, link, ALICE)
    other = make_link(make_document("Other"), [ALICE])
    value = cookie_of(client, link)
    assert grants.load(link, value) is not None
    assert grants.load(other, value) is None


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "not a signed value",
        "x" * 513,
    ],
)
def test_missing_malformed_or_oversized_cookies_load_as_nothing(link, value):
    assert grants.load(link, value) is None


def test_an_oversized_cookie_is_refused_even_when_signed(link):
    salt = f"wagtail_securelink.grant.{link.pk}"
    fits, too_long = (signing.dumps([1, "s" * n], salt=salt) for n in (200, 600))
    assert len(fits) <= 512 < len(too_long)
    assert grants.load(link, fits) == (1, "s" * 200)
    assert grants.load(link, too_long) is None


def test_a_signed_value_of_the_wrong_shape_loads_as_nothing(link):
    salt = f"wagtail_securelink.grant.{link.pk}"
    for payload in (["1", "secret"], [1, 2], [1], {"id": 1}):
        value = signing.dumps(payload, salt=salt)
        assert grants.load(link, value) is None


def test_a_forged_cookie_value_opens_nothing(client, link):
    verify(client, link, ALICE)
    grant = Grant.objects.get()
    # The right grant id with a secret that is not the grant's: refused.
    client.cookies[grants.cookie_name(link, False)] = grants.dump(
        link, grant.pk, grants.new_secret()
    )
    assert client.get(download_url(link)).status_code == 302


def test_the_cookie_name_is_per_link_and_host_only_over_https(link):
    plain, secure = grants.cookie_name(link, False), grants.cookie_name(link, True)
    assert plain.endswith(f"-{link.pk}")
    assert secure == f"__Host-{plain}"
    # 128 random bits, a fresh one each time.
    assert len({grants.new_secret() for _ in range(3)}) == 3
    assert len(grants.new_secret()) >= 22


def test_value_is_bound_to_its_link(link, budget):
    other = make_link(budget, ["alice@example.com"])
    value = grants.dump(link, 7, "secret")
    assert grants.load(link, value) == (7, "secret")
    assert grants.load(other, value) is None
    assert grants.load(link, value + "x") is None
    assert grants.load(link, "x" * 600) is None


def test_only_the_hash_of_the_secret_is_kept():
    secret = grants.new_secret()
    stored = grants.hash_secret(secret)
    assert secret not in stored
    assert grants.secret_matches(secret, stored)
    assert not grants.secret_matches(secret + "x", stored)


def test_set_cookie_over_https(link):
    request = RequestFactory().get("/", secure=True)
    response = HttpResponse()
    grants.set_cookie(response, request, link, "value", days=3)
    name = grants.cookie_name(link, True)
    assert name.startswith("__Host-")
    cookie = response.cookies[name]
    assert cookie.value == "value"
    assert cookie["max-age"] == 3 * 86400
    assert cookie["path"] == "/"
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["domain"]


def test_set_cookie_over_http_has_no_host_prefix(link):
    request = RequestFactory().get("/")
    response = HttpResponse()
    grants.set_cookie(response, request, link, "value", days=1)
    cookie = response.cookies[grants.cookie_name(link, False)]
    assert not cookie.key.startswith("__Host-")
    assert not cookie["secure"]
    assert cookie["httponly"] is True


def test_delete_cookie_expires_the_same_cookie(link):
    request = RequestFactory().get("/", secure=True)
    response = HttpResponse()
    grants.delete_cookie(response, request, link)
    cookie = response.cookies[grants.cookie_name(link, True)]
    assert cookie.value == ""
    assert cookie["max-age"] == 0
    assert cookie["path"] == "/"
    assert cookie["samesite"] == "Lax"
