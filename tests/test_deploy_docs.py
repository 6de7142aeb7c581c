"""docs/deployment.md shows the nginx configuration that the tests run, verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_docs_carry_the_shipped_nginx_configuration():
    shipped = (ROOT / "deploy" / "nginx" / "securelink.conf").read_text()
    docs = (ROOT / "docs" / "deployment.md").read_text()
    blocks = re.findall(r"```nginx\n(.*?)```", docs, flags=re.S)
    assert shipped in blocks


def test_the_upload_cap_fits_through_nginx():
    """client_max_body_size leaves room for the multipart envelope over the policy's
    default upload cap (cap + 10 %, at least + 1 MB)."""
    from wagtail_securelink.models import SecureLinkPolicy

    cap = SecureLinkPolicy._meta.get_field("upload_max_mb").default
    shipped = (ROOT / "deploy" / "nginx" / "securelink.conf").read_text()
    body = int(re.search(r"client_max_body_size (\d+)m;", shipped).group(1))
    assert body * 10 >= cap * 11 and body >= cap + 1
    # Media is private unless named: documents, versions and renders are not served.
    assert "location /media/ {\n        return 404;" in shipped
    served = re.findall(r"location (/media/\S*) \{\n        alias", shipped)
    assert served == ["/media/images/", "/media/original_images/"]
    # The package's private files are outside media; the names they had there stay shut.
    assert "location ^~ /media/securelink_ {\n        return 404;" in shipped
    assert "securelink_private" not in "".join(re.findall(r"alias (\S+);", shipped))
    assert "return 301 https://" in shipped
