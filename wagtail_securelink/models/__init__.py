"""The package's models, one module per concern; import them from here.

=================  ============================================================
module             models
=================  ============================================================
``links``          ``ShareLink`` (and its queryset)
``privacy``        ``PrivateItem``
``recipients``     ``Recipient``, ``AccessRequest``, ``PageComment``
``verification``   ``VerificationCode``, ``AddressState``, ``Grant``, ``Passkey``
``delivery``       ``PendingDelivery``
``audit``          ``AccessEvent``, ``AuditChainHead``
``versions``       ``DocumentVersion``
``ratelimits``     ``RateCounter``
``policy``         ``SecureLinkPolicy``, the administrator's Wagtail settings model,
                   and ``current_policy``, the one way to read it
=================  ============================================================
"""

from wagtail_securelink.models.audit import AccessEvent, AuditChainHead
from wagtail_securelink.models.delivery import PendingDelivery
from wagtail_securelink.models.links import ShareLink, ShareLinkQuerySet
from wagtail_securelink.models.policy import SecureLinkPolicy
from wagtail_securelink.models.privacy import PrivateItem
from wagtail_securelink.models.ratelimits import RateCounter
from wagtail_securelink.models.recipients import AccessRequest, PageComment, Recipient
from wagtail_securelink.models.verification import (
    AddressState,
    Grant,
    Passkey,
    VerificationCode,
)
from wagtail_securelink.models.versions import DocumentVersion

__all__ = [
    "ShareLink",
    "ShareLinkQuerySet",
    "PrivateItem",
    "Recipient",
    "VerificationCode",
    "AddressState",
    "PendingDelivery",
    "Grant",
    "Passkey",
    "AccessEvent",
    "AuditChainHead",
    "DocumentVersion",
    "RateCounter",
    "AccessRequest",
    "PageComment",
    "SecureLinkPolicy",
]
