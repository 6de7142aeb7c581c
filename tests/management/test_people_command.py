"""``securelink_people``: list, remove, expire, CSV output."""

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tests.factories import make_document, make_link
from wagtail_securelink.models import AccessEvent, Recipient

pytestmark = pytest.mark.django_db

ALICE = "alice@example.com"


def run(*args) -> str:
    out = io.StringIO()
    call_command("securelink_people", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def links():
    return [
        make_link(make_document("Contract"), [ALICE, "=bob@evil.example"]),
        make_link(make_document("NDA"), [ALICE]),
    ]


def test_list_and_csv(links):
    text = run("list")
    assert ALICE in text and "=bob@evil.example" in text
    rows = list(csv.reader(io.StringIO(run("list", "--csv"))))
    assert rows[0][0] == "email"
    by_email = {row[0]: row for row in rows[1:]}
    assert by_email[ALICE][1] == "2"  # two links
    assert "'=bob@evil.example" in by_email  # spreadsheet-safe cell
    only = list(
        csv.reader(io.StringIO(run("list", "--csv", "--domain", "evil.example")))
    )
    assert [row[0] for row in only[1:]] == ["'=bob@evil.example"]


def test_remove_everywhere_keeps_the_events(links):
    assert "from 2 links" in run("remove", "Alice@Example.com")
    assert not Recipient.objects.filter(email=ALICE).exists()
    assert (
        AccessEvent.objects.filter(event="recipient_removed", email=ALICE).count() == 2
    )


def test_expire_and_clear(links):
    day = timezone.localdate() + datetime.timedelta(days=20)
    run("expire", ALICE, "--until", day.isoformat())
    ends = {r.expires_at for r in Recipient.objects.filter(email=ALICE)}
    assert len(ends) == 1 and timezone.localtime(ends.pop()).date() == day
    run("expire", ALICE, "--clear")
    assert not Recipient.objects.filter(expires_at__isnull=False).exists()


def test_errors_are_clear(links):
    with pytest.raises(CommandError, match="on no link"):
        run("remove", "nobody@example.com")
    with pytest.raises(CommandError, match="valid email"):
        run("remove", "not-an-address")
    with pytest.raises(CommandError, match="future"):
        run("expire", ALICE, "--until", "2001-01-01")
