"""The share form's progressive enhancement: with JavaScript, only the
fields that apply to the chosen audience are shown; without it, all of them."""

import pytest
from playwright.sync_api import expect

from .helpers import sign_in_to_admin

pytestmark = pytest.mark.e2e


def share_form(context, demo):
    page = context.new_page()
    sign_in_to_admin(page)
    page.goto(f"/admin/securelink/documents/{demo.ids['msa']}/share/")
    return page


def test_fields_follow_the_audience_with_javascript(new_context, demo):
    page = share_form(new_context(), demo)
    password = page.locator("[name=password]")
    recipients = page.locator("[name=recipients]")
    expect(recipients).to_be_visible()
    expect(password).to_be_hidden()
    page.get_by_label("Anyone with the link").check()
    expect(password).to_be_visible()
    expect(recipients).to_be_hidden()
    page.get_by_label("People signed in to this site").check()
    expect(password).to_be_hidden()
    expect(recipients).to_be_hidden()


def test_every_field_is_there_without_javascript(new_context, demo):
    page = share_form(new_context(java_script_enabled=False), demo)
    expect(page.locator("[name=password]")).to_be_visible()
    expect(page.locator("[name=recipients]")).to_be_visible()
