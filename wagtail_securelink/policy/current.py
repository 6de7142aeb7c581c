"""The site's current policy, read once per request and cached per process.

The policy is read on every visitor request, so each process keeps the last copy it
read together with the row's ``version``. A caller that already knows the stored
version (the link lookup reads it in the same query, see ``access.resolve_token``)
gets the cached copy without a query of its own; a saved policy gets a new version, so
every process sees the change on its very next request (§6: "applies at once").
"""

import threading

from wagtail_securelink.models.policy import SecureLinkPolicy

__all__ = ["current_policy"]

# Per thread: a policy instance is not shared across threads.
_cached = threading.local()


def current_policy(request=None, *, version: int | None = None) -> SecureLinkPolicy:
    """The site's policy, cached on ``request`` and, when ``version`` is known, per process.

    ``version`` is the stored row's version as read by the caller in a query it makes
    anyway; when it matches the copy this thread read last, no query is made.
    """
    attr = SecureLinkPolicy.get_cache_attr_name()
    if request is not None and hasattr(request, attr):
        return getattr(request, attr)
    policy = getattr(_cached, "policy", None)
    if version is None or policy is None or policy.version != version:
        policy = SecureLinkPolicy.load()
        _cached.policy = policy
    if request is not None:
        setattr(request, attr, policy)
    return policy
