"""The administrator's policy (SPEC §6): what may be shared, with whom, for how long.

=============  ==============================================================
module         what it holds
=============  ==============================================================
``model``      ``SecureLinkPolicy``, the Wagtail generic settings model
``fields``     ``RoleSetField`` and the value helpers its fields use
``panels``     the layout of its settings page
``current``    ``current_policy``: the site's policy, cached per request and process
=============  ==============================================================

The migrations name ``policy.RoleSetField``, ``policy.all_roles`` and
``policy.view_and_download``: they stay importable from here.
"""

from .current import current_policy
from .fields import RoleSetField, all_roles, normalise_domains, view_and_download
from .model import SecureLinkPolicy

__all__ = [
    "SecureLinkPolicy",
    "RoleSetField",
    "normalise_domains",
    "current_policy",
    "all_roles",
    "view_and_download",
]
