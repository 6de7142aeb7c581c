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
    # View-only never sends the file, inline either (issue 16): pages are rendered.
    assert (
        client.get(
            visitor_url("collection_view_file", link, docs["plan"].pk)
        ).status_code
        == 403
    )
