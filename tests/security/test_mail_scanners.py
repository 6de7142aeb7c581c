"""A fetch is not an open: mail security scanners (Microsoft Defender Safe Links,
Proofpoint, Mimecast, Gmail) fetch every URL of an incoming mail before the person
clicks, with no cookies, GET and HEAD, following redirects. None of those fetches may
count an open or a download, take a limit, record an event, set a first or last open
time, or send anything; then the real person still gets in."""

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_document, make_link, make_user
from tests.helpers import landing_url, press_open, request_code, verify, visitor_url
from wagtail_securelink.models import AccessEvent, Recipient, ShareLink
from wagtail_securelink.tasks import background as delivery

pytestmark = pytest.mark.django_db

ALICE = "alice@example.com"
STRANGER = "stranger@example.org"
URL = re.compile(r"https?://[^\s<>\"')]+")
SCANNER = {"HTTP_USER_AGENT": "Mozilla/5.0 (compatible; Microsoft Safe Links)"}


def state():
    """Everything a fetch must leave as it is."""
    return {
        "links": list(
            ShareLink.objects.order_by("pk").values_list(
                "pk", "open_count", "open_sessions", "download_count", "last_opened_at"
            )
        ),
        "recipients": list(
            Recipient.objects.order_by("pk").values_list(
                "pk", "first_opened_at", "open_count", "download_count"
            )
        ),
        "events": list(AccessEvent.objects.order_by("pk").values_list("pk", "event")),
        "emails": len(mail.outbox),
    }


def urls_in(messages) -> set[str]:
    found = set()
    for message in messages:
        bodies = [message.body] + [
            content for content, _type in getattr(message, "alternatives", [])
        ]
        for body in bodies:
            found.update(
                url.rstrip(".,;").replace("&amp;", "&") for url in URL.findall(body)
            )
    return found


def scan(urls) -> list[tuple[str, str, int]]:
    fetched = []
    for url in sorted(urls):
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        for method in ("get", "head"):
            response = getattr(Client(), method)(path, follow=True, **SCANNER)
            assert response.status_code < 500, (method, url)
            fetched.append((method, path, response.status_code))
    return fetched


@pytest.fixture
def owner():
    return make_user("owner", "owner@example.com", superuser=True)


def test_no_fetch_of_any_emailed_url_counts_records_or_sends(owner):
    # Every email the product sends, for real: an invitation, a code, the sharer's
    # first-open and forward-attempt notices, an access request, the weekly digest.
    specific = make_link(
        make_document("Contract"),
        [ALICE],
        created_by=owner,
        send_invitations=True,
        max_opens=3,
        expires_at=timezone.now() + datetime.timedelta(days=4),  # in the digest
    )
    anyone = make_link(
        make_document("Leaflet", filename="leaflet.pdf"),
        audience="anyone",
        role="view",
        max_opens=1,
        created_by=owner,
    )
    alice = Client()
    assert verify(alice, specific, ALICE).status_code == 303
    stranger = Client()
    request_code(stranger, specific, STRANGER)
    stranger.post(
        reverse("wagtail_securelink:ask_access", args=[specific.token]),
        {"message": "Please"},
    )
    call_command("securelink_digest", stdout=open("/dev/null", "w"))
    delivery.flush()
    sent = list(mail.outbox)
    kinds = {message.subject for message in sent}
    assert len(kinds) == 6, kinds  # the five above and the digest
    # The sharer sends the anyone link in a mail of their own: scanned too.
    urls = urls_in(sent) | {f"http://testserver{landing_url(anyone)}"}
    assert landing_url(specific) in {urlsplit(url).path for url in urls}

    before = state()
    fetched = scan(urls)
    assert len(fetched) == 2 * len(urls) >= 10
    assert state() == before, fetched

    # The real person of the anyone link: one click to the page, one press on Open.
    person = Client()
    page = person.get(landing_url(anyone))
    assert page.status_code == 200 and "Open" in page.content.decode()
    assert press_open(person, anyone).status_code == 303
    shown = person.get(landing_url(anyone))
    assert shown.status_code == 200
    assert "Opens left: 0 of 1" in shown.content.decode()
    anyone.refresh_from_db()
    assert anyone.open_sessions == 1


def test_a_scanned_anyone_link_with_one_open_still_opens_for_the_person(owner):
    # The case seen on main: the scanner's GET used the only open, and the person got
    # "No opens left".
    link = make_link(
        make_document("Leaflet"), audience="anyone", max_opens=1, created_by=owner
    )
    for method in ("get", "head"):
        getattr(Client(), method)(landing_url(link), follow=True, **SCANNER)
    link.refresh_from_db()
    assert (link.open_count, link.open_sessions, link.last_opened_at) == (0, 0, None)
    assert not AccessEvent.objects.filter(link=link, event="opened").exists()
    person = Client()
    assert press_open(person, link).status_code == 303
    assert person.get(landing_url(link)).status_code == 200
    link.refresh_from_db()
    assert link.open_sessions == 1
    assert AccessEvent.objects.filter(link=link, event="opened").count() == 1


def test_open_is_a_post_with_csrf(owner):
    link = make_link(
        make_document("Leaflet"), audience="anyone", max_opens=2, created_by=owner
    )
    url = reverse("wagtail_securelink:open", args=[link.token])
    assert Client().get(url).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(url).status_code == 403
    link.refresh_from_db()
    assert link.open_sessions == 0


def test_no_fetch_of_a_page_previews_emailed_urls_counts_records_or_sends(
    owner, draft_page
):
    """The same for a page preview: the invitation, the code, the sharer's notices
    and the reviewer's comment sent to the sharer; a scanner sees no draft, and the
    reviewer still gets in."""
    from tests.security.conftest import PREVIEW_MARK

    preview = make_link(
        draft_page,
        [ALICE],
        role="view",
        created_by=owner,
        send_invitations=True,
        allow_comments=True,
    )
    colleagues = make_link(
        draft_page, audience="organization", role="view", created_by=owner
    )
    reviewer = Client()
    assert verify(reviewer, preview, ALICE).status_code == 303
    assert PREVIEW_MARK in reviewer.get(landing_url(preview)).content
    comment = reviewer.post(
        visitor_url("comment", preview), {"comment": "The second paragraph reads well."}
    )
    assert comment.status_code in (302, 303)
    request_code(Client(), preview, STRANGER)
    delivery.flush()
    sent = list(mail.outbox)
    assert any("second paragraph" in message.body for message in sent)
    assert len({message.subject for message in sent}) >= 4, [m.subject for m in sent]
    urls = urls_in(sent) | {f"http://testserver{landing_url(colleagues)}"}
    assert landing_url(preview) in {urlsplit(url).path for url in urls}

    before = state()
    for method in ("get", "head"):
        for url in sorted(urls):
            response = getattr(Client(), method)(
                urlsplit(url).path, follow=True, **SCANNER
            )
            assert response.status_code < 500, (method, url)
            assert PREVIEW_MARK not in response.content
            assert b"Draft title v1" not in response.content
    assert state() == before
    assert PREVIEW_MARK in reviewer.get(landing_url(preview)).content
