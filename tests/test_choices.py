"""What each role lets a visitor do (``choices.Role``): the one capability table."""

import pytest

from wagtail_securelink.choices import Role

#            see    download replace upload view-only
TABLE = {
    "view": (True, False, False, False, True),
    "download": (True, True, False, False, False),
    "edit": (True, True, True, True, False),
    "upload": (False, False, False, True, False),
    "bogus": (False, False, False, False, False),  # an unknown value: nothing
}


@pytest.mark.parametrize("role", TABLE)
def test_role_capabilities(role):
    assert (
        Role.can_see(role),
        Role.can_download(role),
        Role.can_replace(role),
        Role.can_upload(role),
        Role.is_view_only(role),
    ) == TABLE[role]


def test_capabilities_take_the_members_too():
    assert Role.can_download(Role.DOWNLOAD) and not Role.can_download(Role.VIEW)


def test_capability_methods_are_not_choices():
    assert Role.values == ["view", "download", "edit", "upload"]
