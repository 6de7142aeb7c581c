"""``securelink_health``: SMTP failures counted against sends, ``--prometheus`` in the
text exposition format, and a lockout in the log."""

import datetime
import logging
import re
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from tests.factories import make_document, make_link
from tests.helpers import enter_code_url, last_code, request_code
from tests.security.conftest import wrong_code
from wagtail_securelink.audit.events import record_event
from wagtail_securelink.choices import EventType
from wagtail_securelink.models import SecureLinkPolicy
from wagtail_securelink.operations.health import CHECKS

pytestmark = pytest.mark.django_db
ALICE = "alice@example.com"


def health(*args):
    out = StringIO()
    try:
        call_command("securelink_health", "--no-audit", *args, stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def link(root_collection):
    return make_link(make_document(), [ALICE])


def events(link, kind, n):
    for _ in range(n):
        record_event(kind, link=link)


def test_one_failure_among_many_sends_is_no_problem(link):
    events(link, EventType.CODE_SENT, 40)
    events(link, EventType.CODE_SEND_FAILED, 3)
    assert health()[0] == 0  # 3 of 43: 7 %, under 20 %
    status, out = health("--max-send-failure-percent", "5")
    assert status == 1
    assert out.startswith("send_failures: 3 of 43 emails (7%) failed to send")


def test_a_failing_mail_server_is_a_problem_and_clears_soon(link):
    start = timezone.now()
    with time_machine.travel(start):
        events(link, EventType.CODE_SENT, 2)
        assert health()[0] == 0
        events(link, EventType.CODE_SEND_FAILED, 2)
        assert health()[0] == 0  # two failures are tolerated whatever the rate
        events(link, EventType.INVITATION_FAILED, 1)
        status, out = health()
        assert status == 1 and "3 of 5 emails (60%)" in out
    # The send window is 15 minutes, not the hour of the other rates.
    with time_machine.travel(start + datetime.timedelta(minutes=16)):
        events(link, EventType.INVITATION_SENT, 1)
        assert health()[0] == 0


def sample_lines(text):
    """Parse Prometheus' text format strictly enough: HELP and TYPE once per family
    before its samples, valid names and labels, float values."""
    name_re = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
    sample = re.compile(
        rf"^(?P<name>{name_re})(?:\{{(?P<labels>[^}}]*)\}})? (?P<value>\S+)$"
    )
    label = re.compile(r'^[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"$')
    helped, typed, samples = set(), {}, {}
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            assert name not in helped, name
            helped.add(name)
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in {"gauge", "counter", "untyped"} and name not in typed
            typed[name] = kind
        else:
            match = sample.match(line)
            assert match, line
            name = match["name"]
            assert name in typed and name in helped, name
            labels = match["labels"] or ""
            for pair in filter(None, labels.split(",")):
                assert label.match(pair), pair
            samples[(name, labels)] = float(match["value"])
    return samples


def test_prometheus_textfile_format(link):
    status, text = health("--prometheus")
    assert status == 0
    samples = sample_lines(text)
    assert samples[("securelink_healthy", "")] == 1
    for check in CHECKS:
        assert samples[("securelink_problem", f'check="{check}"')] == 0
    # The store the run uses: the database here, Redis ("default") in the scale-out run.
    up = [v for (n, _), v in samples.items() if n == "securelink_rate_limit_store_up"]
    assert up == [1]
    assert ("securelink_send_failures", 'window_minutes="15"') in samples
    assert ("securelink_lockouts", 'window_minutes="60"') in samples

    events(link, EventType.CODE_SEND_FAILED, 5)
    status, text = health("--prometheus")
    assert status == 0  # the problem is in the metrics; the file is always written
    samples = sample_lines(text)
    assert samples[("securelink_healthy", "")] == 0
    assert samples[("securelink_problem", 'check="send_failures"')] == 1
    assert samples[("securelink_send_failures", 'window_minutes="15"')] == 5
    assert samples[("securelink_send_failure_percent", 'window_minutes="15"')] == 100


def test_a_lockout_is_logged(client, link, caplog):
    SecureLinkPolicy.objects.update_or_create(pk=1, defaults={"lockout_threshold": 3})
    request_code(client, link, ALICE)
    code = last_code(ALICE)
    with caplog.at_level(logging.WARNING, logger="wagtail_securelink"):
        for _ in range(3):
            client.post(enter_code_url(link), {"code": wrong_code(code)})
    locked = [r for r in caplog.records if "locked out" in r.getMessage()]
    assert len(locked) == 1
    assert locked[0].levelno == logging.WARNING
    recipient = link.recipients.get()
    assert locked[0].getMessage() == (
        f"Recipient {recipient.pk} of link {link.pk} locked out after 3 wrong codes"
    )
    assert ALICE not in caplog.text
