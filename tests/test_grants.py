"""The grant cookie (S9): its value, and the attributes ``grants`` sets and deletes it with."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from tests.factories import make_link
from wagtail_securelink import grants

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(contract):
    return make_link(contract, ["alice@example.com"])


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
