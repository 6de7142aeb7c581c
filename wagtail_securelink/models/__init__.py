"""The package's models, one module per concern; import them from here.

=================  ============================================================
module             models
=================  ============================================================
``links``          ``ShareLink`` (and its queryset)
``privacy``        ``PrivateItem``
``recipients``     ``Recipient``, ``AccessRequest``
``verification``   ``VerificationCode``, ``AddressState``, ``Grant``
``delivery``       ``PendingDelivery``
``audit``          ``AccessEvent``, ``AuditChainHead``
``versions``       ``DocumentVersion``
``ratelimits``     ``RateCounter``
=================  ============================================================

``SecureLinkPolicy``, the administrator's Wagtail settings model, lives in ``policy``
and is re-exported here so that Django finds every model of the app in this module.
"""

from ..policy import SecureLinkPolicy
from .audit import AccessEvent, AuditChainHead
from .delivery import PendingDelivery
from .links import ShareLink, ShareLinkQuerySet
from .privacy import PrivateItem
from .ratelimits import RateCounter
from .recipients import AccessRequest, Recipient
from .verification import AddressState, Grant, VerificationCode
from .versions import DocumentVersion

__all__ = [
    "ShareLink",
    "ShareLinkQuerySet",
    "PrivateItem",
    "Recipient",
    "VerificationCode",
    "AddressState",
    "PendingDelivery",
    "Grant",
    "AccessEvent",
    "AuditChainHead",
    "DocumentVersion",
    "RateCounter",
    "AccessRequest",
    "SecureLinkPolicy",
]
