"""Signals for integrators, modelled on Wagtail's ``document_served``."""

from django.dispatch import Signal

__all__ = [
    "link_created",
    "link_revoked",
    "code_sent",
    "visitor_verified",
    "item_accessed",
]

# sender=ShareLink, link=..., user=...
link_created = Signal()
# sender=ShareLink, link=..., user=...
link_revoked = Signal()
# sender=ShareLink, link=..., recipient=...  (after the email left successfully)
code_sent = Signal()
# sender=ShareLink, link=..., recipient=... (None for password grants), grant=... (None
# when a recipient first opens through a verified site account, S17), request=...
visitor_verified = Signal()
# sender=ShareLink, link=..., document=..., action="view"|"download", request=...
item_accessed = Signal()
