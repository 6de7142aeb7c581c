"""The administrator's policy applied (SPEC §6): what a new link may be
(``link_rules``), which addresses may receive one, the expiry an editor may set and why
the policy stops a link (``enforcement``).

The policy itself is the Wagtail settings model ``models.SecureLinkPolicy``, read
through ``models.policy.current_policy``; whether a link is open, the policy applied,
is ``ShareLink.is_active``.
"""
