"""S1: link tokens carry 128 bits from ``secrets``, are bound to the server's secret,
survive key rotation through ``SECRET_KEY_FALLBACKS``, and every bad token answers alike
and is rate limited."""

import base64
import datetime
import secrets
from unittest import mock
from urllib.parse import quote

import pytest
from django.core import signing
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tests.helpers import landing_url
from tests.security.conftest import like
from wagtail_securelink import services
from wagtail_securelink.core import tokens
from wagtail_securelink.models import ShareLink

pytestmark = pytest.mark.django_db

OLD_KEY = "tests-secret-key-not-for-production-0123456789abcdef"
NEW_KEY = "a-brand-new-secret-key-after-rotation-0123456789abcdef"


def share_url(token: str) -> str:
    return "/share/" + quote(token, safe="") + "/"


def test_key_carries_128_bits_from_secrets(link):
    """S1: the stored key is 16 bytes drawn from ``secrets``."""
    with mock.patch.object(
        tokens.secrets, "token_urlsafe", wraps=secrets.token_urlsafe
    ) as spy:
        other = services.create_link(
            target=link.document, recipients=["carol@example.com"]
        )
    spy.assert_called_once()
    assert spy.call_args.args[0] * 8 >= 128
    raw = base64.urlsafe_b64decode(other.key + "=" * (-len(other.key) % 4))
    assert len(raw) * 8 >= 128
    assert len({tokens.new_link_key() for _ in range(500)}) == 500


def test_database_key_alone_opens_nothing(client, any_link):
    """S1: a URL built from ``ShareLink.key`` without the server's HMAC is refused."""
    link = any_link
    key = ShareLink.objects.values_list("key", flat=True).get(pk=link.pk)
    assert link.token.startswith(key + ".")
    assert client.get(landing_url(link)).status_code == 200
    assert client.get(share_url(key)).status_code == 404
    assert client.get(share_url(key + ".")).status_code == 404
    forged = signing.Signer(
        key="what-an-attacker-guesses", salt="wagtail_securelink.link", sep="."
    ).sign(key)
    assert forged != link.token
    assert client.get(share_url(forged)).status_code == 404
    unsalted = signing.Signer(sep=".").sign(key)  # the real key, but another purpose
    assert client.get(share_url(unsalted)).status_code == 404


def test_editor_can_copy_the_same_link_again(link):
    """S1: the URL is rebuilt from the key and the server secret, stored nowhere."""
    again = ShareLink.objects.get(pk=link.pk)
    assert again.url == link.url
    assert again.url.endswith("/share/" + link.token + "/")
    for value in ShareLink.objects.filter(pk=link.pk).values().get().values():
        assert link.token not in str(value)


def test_rotated_secret_key_keeps_old_links_through_fallbacks(client, link):
    """S1: after rotation the old links work while the old key is a fallback."""
    old_token = link.token
    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY]):
        assert client.get(share_url(old_token)).status_code == 200
        assert tokens.key_from_token(old_token) == link.key
    with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[]):
        assert client.get(share_url(old_token)).status_code == 404


def _bad_tokens(link):
    revoked = like(link, ["x@example.com"])
    services.revoke_link(revoked)
    expired = like(link, ["y@example.com"])
    ShareLink.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    return {
        "unknown": tokens.make_token(tokens.new_link_key()),
        "garbage": "not-a-token",
        "ten_kb": "A" * 10_240,
        "nul": link.token[:10] + "\x00" + link.token[11:],
        "emoji": link.token[:-2] + "🔑🔑",
        # A middle character: the last one has two spare bits and may decode the same.
        "tampered": link.token[:30]
        + ("A" if link.token[30] != "A" else "B")
        + link.token[31:],
        "truncated": link.token[:-1],
        "signature_only": link.token.split(".", 1)[1],
        "revoked": revoked.token,
        "expired": expired.token,
    }


def test_bad_tokens_answer_alike(client, any_link):
    """S1: unknown, malformed, revoked and expired tokens give the same 404 page, for
    a document link and a page preview alike."""
    answers = {}
    for name, token in _bad_tokens(any_link).items():
        response = client.get(share_url(token))
        answers[name] = (response.status_code, response.content)
    reference = answers["unknown"]
    assert reference[0] == 404
    assert b"This link has been removed or has expired" in reference[1]
    for name, answer in answers.items():
        assert answer == reference, name


def test_bad_tokens_answer_alike_on_every_visitor_url(client, any_link):
    """S1: the same holds for the sub-URLs (code, download, view, sign-out, ...)."""
    bad = _bad_tokens(any_link)
    for name in ("send_code", "enter_code", "download", "view_file", "sign_out"):
        bodies = set()
        for token in (
            bad["unknown"],
            bad["revoked"],
            bad["expired"],
            bad["emoji"],
            bad["truncated"],
        ):
            url = reverse(f"wagtail_securelink:{name}", args=["T"]).replace(
                "/T/", "/" + quote(token, safe="") + "/"
            )
            response = client.post(url) if name != "download" else client.get(url)
            assert response.status_code == 404, (name, token)
            bodies.add(response.content)
        assert len(bodies) == 1, name


@override_settings(WAGTAIL_SECURELINK_RATE_LOOKUP_PER_NETWORK="3/m")
def test_failed_lookups_are_rate_limited(client, link, other_client):
    """S1: after the limit a failed lookup answers 429 with Retry-After."""
    for _ in range(3):
        assert client.get(share_url(tokens.make_token("x" * 22))).status_code == 404
    response = client.get(share_url(tokens.make_token("y" * 22)))
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another client network is not affected; a real link still opens.
    response = other_client.get(
        share_url(tokens.make_token("z" * 22)), REMOTE_ADDR="198.51.100.7"
    )
    assert response.status_code == 404
    assert client.get(landing_url(link)).status_code == 200
