"""Fixtures for the API v3 tests: real ``APIToken`` rows and a client that sends them."""

import pytest
from wagtail import VERSION as WAGTAIL_VERSION

if WAGTAIL_VERSION < (8, 0):  # Wagtail 7.4 has no API v3: tests/test_api_guard.py
    collect_ignore_glob = ["test_*.py"]

API = "/api/v3/securelink"


class TokenClient:
    """Django's test client with ``Authorization: Bearer <token>`` on every request."""

    def __init__(self, client, token, secret):
        self.client, self.token, self.secret = client, token, secret

    def _call(self, method, path, data=None, **extra):
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {self.secret}", **extra}
        if method in ("post", "patch", "put", "delete") and data is not None:
            kwargs.update(data=data, content_type="application/json")
        elif data is not None:
            kwargs["data"] = data
        return getattr(self.client, method)(API + path, **kwargs)

    def get(self, path, data=None, **extra):
        return self._call("get", path, data, **extra)

    def post(self, path, data=None, **extra):
        return self._call("post", path, data if data is not None else {}, **extra)

    def patch(self, path, data=None, **extra):
        return self._call("patch", path, data, **extra)

    def delete(self, path, **extra):
        return self._call("delete", path, **extra)


@pytest.fixture
def token_for(client):
    from wagtail.models import APIToken

    def make(user, name="crm"):
        token, secret = APIToken.create_token(user=user, name=name)
        return TokenClient(client, token, secret)

    return make


@pytest.fixture
def admin_api(token_for, superuser):
    return token_for(superuser)


@pytest.fixture
def editor_api(token_for, editor):
    return token_for(editor, name="editor script")
