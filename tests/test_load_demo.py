"""The example site's ``load_demo``: run again after sharing, it prints the demo links.

The command lives in the example site's ``demo`` app, which the test settings do not
install; it is imported from ``example_site/`` and run through ``call_command`` with
the test database.
"""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.factories import make_link
from wagtail_securelink import services
from wagtail_securelink.models import ShareLink

pytestmark = pytest.mark.django_db

EXAMPLE_SITE = Path(__file__).resolve().parents[1] / "example_site"
ALICE_AND_BOB = ["alice@example.com", "bob@example.org"]
REVIEWER = "rita@example.net"
PAGE = "Spring launch: new pricing (draft)"


@pytest.fixture
def load_demo(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE_SITE))
    from demo.management.commands.load_demo import Command

    def run() -> dict[str, str]:
        """{document title: printed URL} of one run."""
        out = StringIO()
        call_command(Command(), stdout=out)
        return dict(
            re.findall(
                r"Share link to '([^']+)' \(specific people: .*\): (\S+)",
                out.getvalue(),
            )
        )

    return run


def printed_link(url: str) -> ShareLink:
    link = services.resolve_token(url.rstrip("/").rsplit("/", 1)[-1])
    assert link is not None, url
    return link


def assert_demo_link(url: str, title: str):
    link = printed_link(url)
    assert link.target_title == title
    assert link.is_active()
    assert sorted(link.recipients.values_list("email", flat=True)) == ALICE_AND_BOB


def assert_page_link(url: str):
    """The preview of the demo page's draft, for one reviewer who may comment."""
    link = printed_link(url)
    assert (link.target_type, link.target_title) == ("page", PAGE)
    assert link.is_active()
    assert link.allow_comments
    assert list(link.recipients.values_list("email", flat=True)) == [REVIEWER]
    assert link.page.live and link.page.title == "Spring launch"
    assert link.page.get_latest_revision_as_object().title == PAGE


def test_running_it_again_after_sharing_prints_the_demo_links(load_demo):
    first = load_demo()
    assert set(first) == {"Master services agreement", "Press release", PAGE}
    for title, url in first.items():
        if title == PAGE:
            assert_page_link(url)
        else:
            assert_demo_link(url, title)
    agreement = printed_link(first["Master services agreement"]).document
    press = printed_link(first["Press release"]).document
    admin = printed_link(first["Press release"]).created_by

    # The admin shares the same documents again, later, with other people (and once
    # with alice alone): newer links to the same documents by the same user.
    make_link(agreement, ["carol@example.com"], created_by=admin)
    make_link(agreement, ["alice@example.com"], created_by=admin)
    make_link(press, ["dave@example.com"], created_by=admin)
    page = printed_link(first[PAGE]).page
    make_link(page, [REVIEWER, "sam@example.com"], role="view", created_by=admin)

    second = load_demo()
    assert second == first
    assert ShareLink.objects.count() == 7


def test_a_revoked_demo_link_is_replaced(load_demo):
    first = load_demo()
    revoked = printed_link(first["Master services agreement"])
    revoked.revoked_at = timezone.now()
    revoked.save(update_fields=["revoked_at"])

    second = load_demo()
    assert second["Press release"] == first["Press release"]
    assert second[PAGE] == first[PAGE]
    assert second["Master services agreement"] != first["Master services agreement"]
    assert_demo_link(second["Master services agreement"], "Master services agreement")


def test_a_revoked_page_preview_is_replaced(load_demo):
    first = load_demo()
    services.revoke_link(printed_link(first[PAGE]))
    second = load_demo()
    assert second[PAGE] != first[PAGE]
    assert_page_link(second[PAGE])
