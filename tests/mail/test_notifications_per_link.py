"""Forward-attempt notices (SPEC §5): one per address per day, and at most
``UNLISTED_NOTICES_PER_LINK`` per link per day, whatever the addresses."""

import datetime

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone

from tests.factories import make_document, make_link
from tests.helpers import request_code
from wagtail_securelink.mail.notifications import UNLISTED_NOTICES_PER_LINK

pytestmark = pytest.mark.django_db

OWNER = "owner@example.com"


def notices():
    return [m for m in mail.outbox if m.to == [OWNER]]


@override_settings(
    WAGTAIL_SECURELINK_RATE_SEND_PER_NETWORK="1000/h",
    WAGTAIL_SECURELINK_RATE_SEND_PER_LINK="1000/h",
)
def test_forward_notices_are_capped_per_link_per_day(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    link = make_link(make_document("Contract"), ["alice@example.com"])
    other = make_link(make_document("Other"), ["alice@example.com"])
    for i in range(UNLISTED_NOTICES_PER_LINK + 5):
        request_code(Client(), link, f"stranger{i}@example.net")
    assert len(notices()) == UNLISTED_NOTICES_PER_LINK
    assert f"at most {UNLISTED_NOTICES_PER_LINK} a day for this link" in (
        notices()[0].body
    )
    # Another link has its own allowance.
    request_code(Client(), other, "stranger0@example.net")
    assert len(notices()) == UNLISTED_NOTICES_PER_LINK + 1
    # A day later the link's allowance is back.
    time_machine.move_to(timezone.now() + datetime.timedelta(days=1, minutes=1))
    request_code(Client(), link, "late@example.net")
    assert len(notices()) == UNLISTED_NOTICES_PER_LINK + 2
