"""The visitor URLs (``urls.py``) only map paths: each view resolves its link itself."""

import pytest
from django.test import RequestFactory
from django.urls import URLPattern

from tests.factories import make_link
from wagtail_securelink import urls

pytestmark = pytest.mark.django_db

PARAMS = {"document_id": 1, "folder_id": 1, "number": 1}
LINK_PATTERNS = [
    p
    for p in urls.urlpatterns
    if isinstance(p, URLPattern) and "<str:token>" in str(p.pattern)
]


def call(pattern, token, method="get"):
    """The view as urls.py maps it, called directly, as a resolver would."""
    names = [n for n in PARAMS if f":{n}>" in str(pattern.pattern)]
    request = getattr(RequestFactory(), method)("/share/x/")
    kwargs = {**pattern.default_args, **{n: PARAMS[n] for n in names}}
    return pattern.callback(request, token=token, **kwargs)


def test_every_link_url_is_mapped():
    assert len(LINK_PATTERNS) == 28


@pytest.mark.parametrize("pattern", LINK_PATTERNS, ids=lambda p: p.name)
def test_unknown_token_gets_the_removed_page(pattern):
    response = call(pattern, "not-a-token")
    assert response.status_code == 404
    if hasattr(response, "render"):
        response.render()
    assert b"This link has been removed or has expired" in response.content
    assert "Content-Security-Policy" in response


@pytest.mark.parametrize("pattern", LINK_PATTERNS, ids=lambda p: p.name)
def test_revoked_link_gets_the_removed_page(pattern, contract):
    link = make_link(contract, ["alice@example.com"])
    link.revoked_at = link.created_at
    link.save(update_fields=["revoked_at"])
    response = call(pattern, link.token)
    assert response.status_code == 404
