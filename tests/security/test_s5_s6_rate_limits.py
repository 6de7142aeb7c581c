"""S5, S6: rate limits on code sends, code checks and token lookups, per client network
and per link, in windows that last their period; the client address comes from the
trusted-proxy setting only; an unsafe cache chosen for the limits is refused by a
system check; a dead store (cache or database) fails closed."""

import datetime
from contextlib import contextmanager

import pytest
import time_machine
from django.core import mail
from django.core.checks import run_checks
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from tests.helpers import enter_code_url, last_code, request_code
from tests.security.conftest import ALICE, BOB, BROKEN_STORE, code_mails, like
from wagtail_securelink.checks import check_rate_limit_store
from wagtail_securelink.models import AccessEvent, RateCounter, SecureLinkPolicy
from wagtail_securelink.ratelimit.counters import unix_now, window_end

pytestmark = pytest.mark.django_db


def _from(ip):
    return Client(REMOTE_ADDR=ip)


def test_resend_cooldown_per_link_and_address(client, any_link):
    """S5: a second code for the same (link, address) waits for the cooldown."""
    link = any_link
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        request_code(client, link, ALICE)
        request_code(client, link, BOB)  # another address is not held back
    with time_machine.travel(start + datetime.timedelta(seconds=59), tick=False):
        request_code(client, link, ALICE)
    assert [m.to for m in mail.outbox] == [[ALICE], [BOB]]
    with time_machine.travel(start + datetime.timedelta(seconds=61), tick=False):
        request_code(client, link, ALICE)
    assert [m.to for m in mail.outbox] == [[ALICE], [BOB], [ALICE]]


def test_five_codes_an_hour_per_link_and_address(any_link):
    """S5: at most five codes an hour for one (link, address), counted in the database."""
    link = any_link
    policy = SecureLinkPolicy.load()
    policy.resend_cooldown_seconds = 0
    policy.save()
    start = timezone.now()
    for minute in range(7):
        with time_machine.travel(start + datetime.timedelta(minutes=minute)):
            request_code(_from(f"198.51.{minute}.1"), link, ALICE)
    assert len(mail.outbox) == 5
    with time_machine.travel(start + datetime.timedelta(minutes=61)):
        request_code(Client(), link, ALICE)
    assert len(mail.outbox) == 6


def test_ten_sends_an_hour_per_client_network(link):
    """S5: the eleventh send from one /24 is refused with 429; other networks go on."""
    for i in range(10):
        response = request_code(_from(f"203.0.113.{i + 1}"), link, f"x{i}@example.net")
        assert response.status_code == 303
    response = request_code(_from("203.0.113.200"), link, ALICE)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert code_mails() == []
    assert AccessEvent.objects.filter(event="rate_limited").exists()
    assert request_code(_from("198.51.100.1"), link, ALICE).status_code == 303
    assert len(code_mails()) == 1


def test_fifty_sends_an_hour_per_link(any_link):
    """S5: the 51st send on one link is refused whatever the network; other links go on."""
    link = any_link
    for i in range(50):
        ip = f"10.{i}.0.1"
        assert request_code(_from(ip), link, f"x{i}@example.net").status_code == 303
    assert request_code(_from("10.200.0.1"), link, ALICE).status_code == 429
    other = like(link, [ALICE])
    assert request_code(_from("10.201.0.1"), other, ALICE).status_code == 303


@override_settings(WAGTAIL_SECURELINK_RATE_CHECK_PER_NETWORK="3/h")
def test_code_checks_are_limited_per_network(link):
    """S5: code checks from one network are limited; another network keeps working."""
    browser = _from("203.0.113.5")
    request_code(browser, link, ALICE)
    for _ in range(3):
        assert browser.post(enter_code_url(link), {"code": "000000"}).status_code == 400
    response = browser.post(enter_code_url(link), {"code": last_code(ALICE)})
    assert response.status_code == 429
    assert "Retry-After" in response
    elsewhere = _from("198.51.100.5")
    request_code(elsewhere, link, BOB)
    assert (
        elsewhere.post(enter_code_url(link), {"code": last_code(BOB)}).status_code
        == 303
    )


@override_settings(WAGTAIL_SECURELINK_RATE_CHECK_PER_LINK="3/h")
def test_code_checks_are_limited_per_link(any_link):
    """S5: code checks on one link are limited across networks."""
    link = any_link
    for i in range(3):
        browser = _from(f"10.{i}.0.1")
        request_code(browser, link, ALICE)
        browser.post(enter_code_url(link), {"code": "000000"})
    browser = _from("10.99.0.1")
    request_code(browser, link, BOB)
    response = browser.post(enter_code_url(link), {"code": last_code(BOB)})
    assert response.status_code == 429


@override_settings(WAGTAIL_SECURELINK_RATE_SEND_PER_NETWORK="2/h")
def test_spoofed_forwarded_for_does_not_escape_the_limit(link):
    """S6: without a trusted proxy, X-Forwarded-For is ignored."""
    for i in range(2):
        response = _from("203.0.113.9").post(
            f"/share/{link.token}/code/send/",
            {"email": ALICE},
            HTTP_X_FORWARDED_FOR=f"192.0.2.{i}",
        )
        assert response.status_code == 303
    response = _from("203.0.113.9").post(
        f"/share/{link.token}/code/send/",
        {"email": ALICE},
        HTTP_X_FORWARDED_FOR="198.51.100.77",
    )
    assert response.status_code == 429


@override_settings(
    WAGTAIL_SECURELINK_RATE_SEND_PER_NETWORK="2/h",
    WAGTAIL_SECURELINK_TRUSTED_PROXIES=["10.0.0.0/8"],
)
def test_behind_a_trusted_proxy_the_client_is_the_forwarded_hop(link):
    """S6: behind a trusted proxy the right-most untrusted hop is the client; a hop
    the client prepends cannot move it to another network."""
    proxy = _from("10.0.0.2")
    for spoof in ("192.0.2.1", "192.0.2.2"):
        response = proxy.post(
            f"/share/{link.token}/code/send/",
            {"email": ALICE},
            HTTP_X_FORWARDED_FOR=f"{spoof}, 203.0.113.9",
        )
        assert response.status_code == 303
    response = proxy.post(
        f"/share/{link.token}/code/send/",
        {"email": ALICE},
        HTTP_X_FORWARDED_FOR="192.0.2.3, 203.0.113.9",
    )
    assert response.status_code == 429
    # A different real client behind the same proxy is not held back.
    response = proxy.post(
        f"/share/{link.token}/code/send/",
        {"email": ALICE},
        HTTP_X_FORWARDED_FOR="198.51.100.4",
    )
    assert response.status_code == 303


@override_settings(WAGTAIL_SECURELINK_RATE_CHECK_PER_NETWORK="3/h")
def test_an_hourly_limit_still_holds_after_idle_minutes(link):
    """S5: the window lasts its hour, not a cache's 5-minute default
    timeout; it ends when Retry-After said it would."""
    browser = _from("203.0.113.5")
    # Ten minutes into the network's current window, so that it ends 50 minutes later.
    end = window_end("203.0.113.0/24", 3600, unix_now())
    start = datetime.datetime.fromtimestamp(end - 3000, tz=datetime.UTC)
    with time_machine.travel(start, tick=False):
        request_code(browser, link, ALICE)
        for _ in range(3):
            browser.post(enter_code_url(link), {"code": "000000"})
        refused = browser.post(enter_code_url(link), {"code": "000000"})
    assert refused.status_code == 429
    retry_after = int(refused["Retry-After"])
    assert retry_after == 3000
    with time_machine.travel(start + datetime.timedelta(minutes=6), tick=False):
        later = browser.post(enter_code_url(link), {"code": "000000"})
    assert later.status_code == 429
    assert int(later["Retry-After"]) == retry_after - 360
    end = start + datetime.timedelta(seconds=retry_after)
    with time_machine.travel(end, tick=False):
        assert browser.post(enter_code_url(link), {"code": "000000"}).status_code == 400


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
    ],
)
def test_an_unshared_cache_is_refused_only_when_chosen(backend):
    """S6: a cache private to one process cannot hold the rate limits. Left on
    "auto", the limits go to the database instead and nothing needs saying."""
    with override_settings(CACHES={"default": {"BACKEND": backend}}):
        assert "wagtail_securelink.E003" not in _check_ids()
        with override_settings(WAGTAIL_SECURELINK_RATE_LIMIT_STORE="default"):
            assert "wagtail_securelink.E003" in _check_ids()


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.cache.backends.db.DatabaseCache",
        "django.core.cache.backends.filebased.FileBasedCache",
    ],
)
def test_a_non_atomic_cache_warns_only_when_chosen(backend):
    """S6: Django's database and file caches do not increment atomically (and reset
    the expiry on each increment); "auto" passes them over for the database store."""
    caches = {"default": {"BACKEND": backend, "LOCATION": "securelink_cache"}}
    with override_settings(CACHES=caches):
        assert check_rate_limit_store(None) == []
        with override_settings(WAGTAIL_SECURELINK_RATE_LIMIT_STORE="default"):
            ids = [message.id for message in check_rate_limit_store(None)]
    assert ids == ["wagtail_securelink.W001"]


def _check_ids():
    return [message.id for message in run_checks()]


@pytest.mark.parametrize(
    "action", ["send", "check", "lookup"], ids=["send", "check", "lookup"]
)
@pytest.mark.parametrize("store", ["cache", "database"])
def test_a_dead_store_fails_closed_with_a_clear_page(link, action, store):
    """S6: when the cache (or the database table of the counters) fails, sends,
    checks and lookups answer 503, never 500, and nothing is sent."""
    browser = Client()
    request_code(browser, link, ALICE)
    code = last_code(ALICE)
    with _store_down(store):
        if action == "send":
            response = request_code(Client(raise_request_exception=False), link, BOB)
        elif action == "check":
            response = browser.post(enter_code_url(link), {"code": code})
        else:
            response = Client(raise_request_exception=False).get("/share/no-such-link/")
    assert response.status_code == 503
    assert response["Retry-After"]
    assert b"Temporarily unavailable" in response.content
    assert len(mail.outbox) == 1
    # Nothing was used up: the code still works once the store is back.
    assert browser.post(enter_code_url(link), {"code": code}).status_code == 303


@contextmanager
def _store_down(store):
    if store == "cache":
        with override_settings(**BROKEN_STORE):
            yield
        return
    # The real database, the real table gone (inside the test's transaction, which
    # is rolled back): whatever error the database gives must fail closed.
    table = RateCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_gone")
    try:
        # Explicit, so that the scale-out run (Redis configured) tests it too.
        with override_settings(WAGTAIL_SECURELINK_RATE_LIMIT_STORE="database"):
            yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table}_gone RENAME TO {table}")
