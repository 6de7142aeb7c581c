"""Collection links (SPEC §4, S11): what each role may do in a folder.

Folders, search, sort, pagination and scope at request time: test_browsing.py; the
ZIP: test_zipstream.py; uploads: test_uploads.py."""

import pytest

from tests.factories import make_link
from tests.helpers import landing_url, verified, visitor_url

pytestmark = pytest.mark.django_db
ALICE = "alice@example.com"


def test_view_role_lists_but_does_not_download_or_zip(client, tree):
    root, _sub, _other, docs = tree
    link = make_link(root, [ALICE], role="view")
    verified(client, link)
    page = client.get(landing_url(link)).content.decode()
    assert "Download all" not in page
    assert client.get(visitor_url("zip", link)).status_code == 403
    assert (
        client.get(
            visitor_url("collection_download", link, docs["plan"].pk)
        ).status_code
        == 403
    )
    # View-only never sends the file, inline either: pages are rendered.
    assert (
        client.get(
            visitor_url("collection_view_file", link, docs["plan"].pk)
        ).status_code
        == 403
    )


def test_folder_page_links_each_row_to_its_own_document(client, tree):
    """Row URLs are reversed once per listing and completed per row: each row's links
    must still be exactly the ones ``reverse`` gives for that document, whatever
    digits its id shares with the stand-in id."""
    from tests.factories import make_document
    from wagtail_securelink.visitor.content import _ANY_ID, row_urls

    root, _sub, _other, docs = tree
    rows = [docs["plan"], docs["notes"]]
    # Within PostgreSQL's integer: the id itself, a prefix of it, one that contains it.
    for pk in (_ANY_ID, int(str(_ANY_ID)[:4]), int(f"1{_ANY_ID}")):
        document = make_document(f"Doc {pk}", f"d{pk}.txt", b"x", collection=root)
        type(document).objects.filter(pk=document.pk).update(id=pk)
        document.pk = pk
        rows.append(document)
    link = make_link(root, [ALICE], role="download")
    verified(client, link)
    page = client.get(landing_url(link)).content.decode()
    urls_of = row_urls(link)
    for document in rows:
        assert f'href="{visitor_url("collection_document", link, document.pk)}"' in page
        assert f'href="{visitor_url("collection_download", link, document.pk)}"' in page
        assert urls_of(document) == {
            key: visitor_url(name, link, document.pk)
            for key, name in (
                ("page", "collection_document"),
                ("view", "collection_view_file"),
                ("download", "collection_download"),
                ("replace", "collection_replace"),
            )
        }
