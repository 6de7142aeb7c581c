"""The administrator's policy applied (SPEC §6): what may be shared, with whom, for how
long, and whether an existing link or person's access is still open.

The policy itself is the Wagtail settings model ``models.SecureLinkPolicy``;
``current.current_policy`` reads it.
"""
