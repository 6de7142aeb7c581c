"""What a new editor tripped on: headers that name the item, Shared links
readable, a confirmed revoke, the share form's fields by audience, the dashboard panel,
the copy field, the visitor header's name and the visitor guide's promise."""

import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site

from tests.factories import make_collection, make_document, make_link
from wagtail_securelink.models import ShareLink

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def url(name, *args):
    return reverse(f"wagtail_securelink_admin:{name}", args=args)


def header(response) -> str:
    """The header Wagtail shows: the last breadcrumb, and the screen reader's h1."""
    return response.context["breadcrumbs_items"][-1]["label"]


def html(response) -> str:
    return response.content.decode()


# Headers -----------------------------------------------------------------------------


def test_the_collections_page_header_is_not_home(client, superuser, legal):
    client.force_login(superuser)
    response = client.get(url("collections"))
    assert header(response) == "Share a collection"
    assert '<h1 class="w-sr-only">' in html(response)


def test_share_and_manage_headers_name_the_item(client, superuser, legal, contract):
    client.force_login(superuser)
    cases = [
        (url("share_collection", legal.pk), "Share the collection “Legal”"),
        (url("share_document", contract.pk), "Share “Contract”"),
        (url("manage_collection", legal.pk), "Manage access to the collection “Legal”"),
        (url("manage_document", contract.pk), "Manage access to “Contract”"),
    ]
    for address, expected in cases:
        response = client.get(address)
        assert response.status_code == 200
        assert header(response) == expected
        assert expected in html(response)
    link = make_link(contract, ["alice@example.com"])
    assert header(client.get(url("share_result", link.pk))) == "Shared “Contract”"


# Manage access -----------------------------------------------------------------------


def test_add_people_is_not_marked_required_but_refuses_nothing(
    client, superuser, contract
):
    link = make_link(contract, ["alice@example.com"])
    client.force_login(superuser)
    page = html(client.get(url("manage_document", contract.pk)))
    field = re.search(rf'<textarea[^>]*name="add-{link.pk}-recipients"[^>]*>', page)
    assert field and "required" not in field.group(0)
    response = client.post(
        url("add_recipients", link.pk),
        {
            f"add-{link.pk}-recipients": "  ",
            "next": url("manage_document", contract.pk),
        },
        follow=True,
    )
    assert "Add at least one email address." in html(response)
    assert link.recipients.count() == 1


def test_a_single_revoke_asks_for_confirmation_first(client, superuser, contract):
    link = make_link(contract, ["alice@example.com", "bob@example.com"])
    manage = url("manage_document", contract.pk)
    client.force_login(superuser)
    page = html(client.get(manage))
    # The button is a link to the confirmation page: no form posts to revoke from here.
    assert f'action="{url("revoke", link.pk)}"' not in page
    assert f'href="{url("revoke", link.pk)}?next=' in page

    confirm = client.get(url("revoke", link.pk), {"next": manage})
    assert confirm.status_code == 200
    body = html(confirm)
    assert "Revoke the link to “Contract”" in body
    assert "2 people on it lose access at once." in body
    assert f'action="{url("revoke", link.pk)}"' in body
    assert f'href="{manage}"' in body  # "No, keep it"
    link.refresh_from_db()
    assert link.revoked_at is None  # GET changes nothing

    done = client.post(url("revoke", link.pk), {"next": manage})
    assert done.status_code == 302 and done["Location"] == manage
    link.refresh_from_db()
    assert link.revoked_at is not None


def test_the_confirmation_refuses_other_hosts_and_other_editors(
    client, editor, budget, contract
):
    theirs = make_link(budget, ["alice@example.com"])
    client.force_login(editor)
    assert client.get(url("revoke", theirs.pk)).status_code == 403
    mine = make_link(contract, ["alice@example.com"])
    page = client.get(url("revoke", mine.pk), {"next": "https://evil.example/"})
    assert "evil.example" not in html(page)


def test_a_revoked_link_shows_no_remove_or_revoke_buttons(client, superuser, contract):
    link = make_link(contract, ["alice@example.com"])
    ShareLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
    client.force_login(superuser)
    page = html(client.get(url("manage_document", contract.pk)))
    recipient = link.recipients.get()
    assert url("remove_recipient", recipient.pk) not in page
    assert url("revoke", link.pk) not in page
    # Asking again for a revoked link says so and goes back.
    again = client.get(url("revoke", link.pk), follow=True)
    assert "This link was already revoked." in html(again)


def test_link_cards_are_not_landmarks(client, superuser, contract):
    make_link(contract, ["alice@example.com"])
    make_link(contract, ["bob@example.com"])  # same audience and role
    client.force_login(superuser)
    page = html(client.get(url("manage_document", contract.pk)))
    assert page.count('<article class="securelink-card') == 2
    assert not re.search(r'<section[^>]*id="link-', page)


# Shared links ------------------------------------------------------------------------


def test_shared_links_fit_in_fewer_columns_with_dashes_for_empty_cells(
    client, superuser, contract
):
    link = make_link(contract, ["alice@example.com"], created_by=None)
    client.force_login(superuser)
    response = client.get(reverse("wagtail_securelink_sharelink:index"))
    page = html(response)
    headings = re.findall(r"<th\b", page.split("<thead")[1].split("</thead>")[0])
    assert len(headings) <= 9  # a table that fits a laptop screen
    row = page.split(f'id="sharelink_{link.pk}_title"')[1].split("</tr>")[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    texts = [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]
    assert "" not in texts
    assert texts.count("—") >= 2  # Created by (nobody) and Last opened (never)
    assert "Specific people · View and download" in texts
    assert "securelink-links-listing" in page  # the stylesheet's scope


# Share form --------------------------------------------------------------------------


def test_share_form_fields_carry_the_enhancement_and_stay_without_js(
    client, superuser, contract, legal
):
    client.force_login(superuser)
    page = html(client.get(url("share_document", contract.pk)))
    assert "wagtail_securelink/share_form.js" in page
    # Without JavaScript every field is on the page, none hidden by the server.
    for name in ("recipients", "password", "send_invitations"):
        assert f'name="{name}"' in page
    assert 'name="include_descendants"' not in page  # a document has no subcollections
    assert 'name="include_descendants"' in html(
        client.get(url("share_collection", legal.pk))
    )


def test_the_server_ignores_fields_that_do_not_apply(client, superuser, contract):
    client.force_login(superuser)
    # A password typed, then the audience switched to specific people (no JS).
    response = client.post(
        url("share_document", contract.pk),
        {
            "audience": "specific",
            "recipients": "alice@example.com",
            "role": "download",
            "password": "typed-before-switching",
            "send_invitations": "on",
            "language": "en",
        },
    )
    assert response.status_code == 302, html(response)
    link = ShareLink.objects.get()
    assert link.password == ""
    # Addresses typed, then switched to "anyone": the addresses are ignored.
    response = client.post(
        url("share_document", contract.pk),
        {
            "audience": "anyone",
            "recipients": "bob@example.com",
            "role": "download",
            "password": "letmein-please",
            "expires_on": (
                timezone.localdate() + timezone.timedelta(days=3)
            ).isoformat(),
        },
    )
    assert response.status_code == 302, html(response)
    anyone = ShareLink.objects.exclude(pk=link.pk).get()
    assert anyone.password and not anyone.recipients.exists()


# Dashboard, copy field ---------------------------------------------------------------


def test_the_dashboard_panel_is_a_wagtail_dashboard_panel(client, superuser, contract):
    make_link(contract, ["alice@example.com"], created_by=superuser)
    client.force_login(superuser)
    page = html(client.get(reverse("wagtailadmin_home")))
    panel = page.split('id="securelink-home-panel-section"')[1]
    assert (
        "w-panel--dashboard"
        in page.split('id="securelink-home-panel-section"')[0][-300:]
    )
    # The heading comes first, then the content.
    assert panel.index("Your shared links") < panel.index("1 active link")
    assert panel.index("</h2>") < panel.index('class="w-panel__content"')


def test_the_copy_button_is_full_size(client, superuser, contract):
    link = make_link(contract, ["alice@example.com"])
    client.force_login(superuser)
    page = html(client.get(url("share_result", link.pk)))
    button = re.search(r"<button[^>]*data-securelink-copy=[^>]*>", page).group(0)
    assert "button-small" not in button
    css = (ROOT / "wagtail_securelink/static/wagtail_securelink/admin.css").read_text()
    assert "align-items: stretch" in css


# Visitor header, visitor guide ------------------------------------------------------


def test_the_visitor_header_names_the_site_as_the_emails_do(client, settings):
    from django.core import mail

    from tests.helpers import landing_url, send_code_url

    link = make_link(make_document("Report"), ["alice@example.com"])
    settings.WAGTAIL_SITE_NAME = "Acme Legal"
    Site.objects.filter(is_default_site=True).update(site_name="")
    page = html(client.get(landing_url(link)))
    assert '<span class="site-name">Acme Legal</span>' in page
    assert "Secure sharing" not in page
    client.post(send_code_url(link), {"email": "alice@example.com"})
    assert "Acme Legal" in mail.outbox[-1].body
    Site.objects.filter(is_default_site=True).update(site_name="Acme Intranet")
    page = html(client.get(landing_url(link), HTTP_HOST="other.example"))
    assert '<span class="site-name">Acme Intranet</span>' in page


def test_the_visitor_guide_promises_what_pdfs_get():
    guide = (ROOT / "docs/visitor-guide.md").read_text()
    section = guide.split("## The item page")[1].split("##")[0]
    assert "Open in the browser" in section
    assert "inline preview where the browser can show the type safely (PDF" not in guide
    template = (
        ROOT / "wagtail_securelink/templates/wagtail_securelink/visitor/document.html"
    ).read_text()
    assert "Open in the browser" in template


def test_collections_page_lists_nested_collections(client, superuser, legal):
    make_collection("Signed", parent=legal)
    client.force_login(superuser)
    assert "Signed" in html(client.get(url("collections")))
