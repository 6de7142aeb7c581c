"""Fixtures of the page-preview tests (test_page_links, test_page_comments,
test_page_listings): a section of the page tree and a page in it with a newer draft."""

import pytest
from wagtail.models import Page


@pytest.fixture
def section():
    root = Page.get_first_root_node()
    return root.add_child(instance=Page(title="Section", slug="section"))


@pytest.fixture
def draft(section):
    """A published page with a newer draft: the live title differs from the draft's."""
    page = section.add_child(instance=Page(title="Published title", slug="news"))
    page.save_revision().publish()
    page.refresh_from_db()
    page.title = "Draft title v1"
    page.save_revision()
    return Page.objects.get(pk=page.pk)
