"""The "Your shared links" dashboard panel (SPEC §5)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_document, make_link, make_user
from wagtail_securelink.audit.events import record_event
from wagtail_securelink.models import ShareLink

pytestmark = pytest.mark.django_db


def home(client):
    return client.get(reverse("wagtailadmin_home")).content.decode()


def test_panel_shows_active_links_recent_opens_and_expiring(client, editor):
    mine = make_link(
        make_document("Contract"),
        ["alice@example.com"],
        created_by=editor,
        expires_at=timezone.now() + datetime.timedelta(days=2),
    )
    make_link(make_document("Minutes"), ["bob@example.com"], created_by=editor)
    revoked = make_link(make_document("Old"), ["c@example.com"], created_by=editor)
    ShareLink.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    make_link(make_document("Someone else's"), ["d@example.com"])
    record_event("verified", link=mine, recipient=mine.recipients.get())
    client.force_login(editor)
    html = home(client)
    panel = html.split('id="securelink-home-panel-section"')[1].split("</section>")[0]
    assert "Your shared links" in html
    assert "2 active links" in panel
    assert "alice@example.com" in panel
    assert "Contract" in panel.split("Expiring within a week")[1]
    assert "Someone else" not in panel


def test_panel_is_hidden_without_securelink_permission(client):
    plain = make_user("plain", perms=["wagtailadmin.access_admin"])
    client.force_login(plain)
    assert "securelink-home-panel" not in home(client)


def test_panel_query_count_is_constant(client, editor):
    client.force_login(editor)
    home(client)
    with CaptureQueriesContext(connection) as few:
        home(client)
    for index in range(20):
        link = make_link(
            make_document(f"D{index}"), ["a@example.com"], created_by=editor
        )
        record_event("viewed", link=link)
    with CaptureQueriesContext(connection) as many:
        home(client)
    assert len(many) == len(few)
