"""``securelink_health``: exit status, one line per problem, ``--json``."""

import datetime
import json
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from tests.factories import make_document, make_link
from tests.helpers import enter_code_url, last_code, request_code
from tests.security.conftest import BROKEN_STORE, wrong_code
from wagtail_securelink.audit.chain import seal_chain
from wagtail_securelink.audit.events import record_event
from wagtail_securelink.choices import EventType
from wagtail_securelink.models import AccessEvent, PendingDelivery, SecureLinkPolicy
from wagtail_securelink.ratelimit import rules as ratelimits

pytestmark = pytest.mark.django_db
ALICE = "alice@example.com"


def health(*args):
    out = StringIO()
    try:
        call_command("securelink_health", *args, stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


def test_a_healthy_site_exits_0():
    assert health() == (0, "OK\n")
    status, out = health("--json")
    report = json.loads(out)
    assert status == 0 and report["ok"] is True and report["problems"] == []
    # The store the limits use: the database here, Redis in the scale-out run.
    assert report["metrics"]["rate_limit_store"] == ratelimits.resolve_store()
    assert report["metrics"]["rate_limit_store"] in ("database", "default")


def test_a_failing_rate_limit_store_is_a_problem():
    with override_settings(**BROKEN_STORE):
        status, out = health()
    assert status == 1
    assert out.startswith("rate_limiter: the rate-limit store cannot count")


def test_lockouts_from_real_wrong_codes_are_counted(client):
    SecureLinkPolicy.objects.update_or_create(pk=1, defaults={"lockout_threshold": 10})
    link = make_link(make_document(), [ALICE])
    start = timezone.now()
    for i in range(4):  # a fresh code every 2 minutes (past the resend cooldown)
        with time_machine.travel(start + datetime.timedelta(minutes=2 * i)):
            request_code(client, link, ALICE)
            code = last_code(ALICE)
            for _ in range(3):
                client.post(enter_code_url(link), {"code": wrong_code(code)})
    assert AccessEvent.objects.filter(event=EventType.CODE_LOCKED).count() == 1
    assert health()[0] == 0  # one lockout is under the default limit
    status, out = health("--max-lockouts", "0", "--json")
    report = json.loads(out)
    assert status == 1
    assert [p["check"] for p in report["problems"]] == ["lockouts"]
    assert report["metrics"]["lockouts_last_60m"] == 1


def test_send_failures_waiting_mail_and_late_seals_are_problems(settings):
    settings.WAGTAIL_SECURELINK_AUDIT_SEAL_DELAY = -1  # no sealing timer
    link = make_link(make_document(), [ALICE])
    seal_chain()
    record_event(EventType.CODE_SEND_FAILED, link=link)
    PendingDelivery.objects.create(task="x.y", args=[1])
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=10)):
        status, out = health("--max-send-failures", "0")
    assert status == 1
    lines = out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "pending_delivery",
        "send_failures",
        "audit_unsealed",
    ]
    assert "1 of 1 emails (100%) failed to send" in out


def test_a_broken_audit_chain_is_a_problem(settings):
    link = make_link(make_document(), [ALICE])
    seal_chain()
    event = AccessEvent.objects.filter(link=link).first()
    AccessEvent.objects.filter(pk=event.pk).update(detail={"edited": True})
    status, out = health()
    assert status == 1
    assert f"audit_chain: the audit trail is broken at event {event.pk}" in out
    assert health("--no-audit")[0] == 0


def test_many_429s_are_a_problem():
    for _ in range(3):
        record_event(EventType.RATE_LIMITED, detail={"scope": "ip"})
    assert health()[0] == 0
    status, out = health("--max-rate-limited", "2")
    assert status == 1 and out.startswith("rate_limited: 3 requests were rate limited")


def test_health_reports_the_sealing_lag(settings):
    settings.WAGTAIL_SECURELINK_AUDIT_SEAL_DELAY = -1
    link = make_link(make_document(), [ALICE])
    seal_chain()
    record_event(EventType.VIEWED, link=link)
    record_event(EventType.VIEWED, link=link)
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5)):
        status, out = health("--json")
    metrics = json.loads(out)["metrics"]
    assert metrics["unsealed_events"] == 2
    assert 295 <= metrics["unsealed_oldest_seconds"] <= 305
    assert metrics["unsealed_events_late"] == 2
    seal_chain()
    metrics = json.loads(health("--json")[1])["metrics"]
    assert (metrics["unsealed_events"], metrics["unsealed_oldest_seconds"]) == (0, 0)
