"""Private items (SPEC §2 *Private item*, S16): which documents Wagtail may serve publicly.

``state`` decides, at request time, whether a document or a collection is private
(the rule is in its docstring); ``decisions`` records what links, uploads and
editors decide; ``usage`` finds the live pages that use an item.
"""

from wagtail_securelink.sharing.privacy.decisions import (
    LOG_ACTIONS,
    apply_share,
    make_private,
    make_public,
    mark_uploaded,
)
from wagtail_securelink.sharing.privacy.state import (
    PrivacyState,
    collection_state,
    document_state,
    is_private,
    item_state,
    private_document_ids,
)
from wagtail_securelink.sharing.privacy.usage import live_pages_using

__all__ = [
    "PrivacyState",
    "item_state",
    "document_state",
    "collection_state",
    "is_private",
    "private_document_ids",
    "apply_share",
    "mark_uploaded",
    "make_public",
    "make_private",
    "live_pages_using",
    "LOG_ACTIONS",
]
