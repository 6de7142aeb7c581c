"""The one API of wagtail-securelink: views, management commands, the API and tests call it.

A facade: every name is defined in a domain module below and only re-exported here, so
nothing below the top layer imports this module (tests/test_architecture.py checks).

* Links (``links``, ``link_rules``): ``create_link``, ``change_expiry``,
  ``revoke_link``, ``revoke_links``, ``current_policy``.
* Recipients of a link (``recipients``, ``invitations``): ``add_recipients``,
  ``remove_recipient``, ``unlock_recipient``, ``clean_recipients``,
  ``send_invitations_to``, ``resend_invitation``, ``deliver_invitation``.
* People, one address across every link (``people``): ``people_for``,
  ``recipients_of``, ``set_access_end``, ``remove_people``, ``unlock_people``,
  ``resend_to_people``; erasing one (``erasure``): ``erase_address``.
* The visitor side (``access``, ``code_requests``, ``code_emails``,
  ``verification``): ``resolve_token``, ``request_code``, ``deliver_code``,
  ``verify_code``, ``check_password``, ``get_access``, ``open_grant``, ``end_grant``,
  ``sign_out``; passkeys instead of a code (``passkeys``): ``begin_registration``,
  ``finish_registration``, ``begin_authentication``, ``finish_authentication``,
  ``passkeys_of``, ``remove_passkeys``.
* Reviewers' comments on a page preview (``comments``): ``add_comment``,
  ``comments_for``.
* Rules (``enforcement``) and private items (``privacy``, S16).
"""

from wagtail_securelink.audit.events import record_event
from wagtail_securelink.core.addresses import normalise_email
from wagtail_securelink.core.tokens import link_url
from wagtail_securelink.mail.invitations import (
    InvitationReport,
    deliver_invitation,
    resend_invitation,
    send_invitations_to,
)
from wagtail_securelink.mail.notifications import on_upload as notify_upload
from wagtail_securelink.models.policy import current_policy
from wagtail_securelink.operations.erasure import erase_address
from wagtail_securelink.policy.enforcement import (
    address_allowed,
    stop_reason,
)
from wagtail_securelink.sharing.comments import add_comment, comments_for
from wagtail_securelink.sharing.links import (
    change_expiry,
    create_link,
    revoke_link,
    revoke_links,
)
from wagtail_securelink.sharing.people import (
    people_for,
    recipients_of,
    remove_people,
    resend_to_people,
    set_access_end,
    unlock_people,
)
from wagtail_securelink.sharing.privacy import (
    item_state,
    live_pages_using,
    make_private,
    make_public,
)
from wagtail_securelink.sharing.recipients import (
    add_recipients,
    clean_recipients,
    remove_recipient,
    unlock_recipient,
)
from wagtail_securelink.verification.access import (
    end_grant,
    get_access,
    open_grant,
    resolve_token,
    reverification_days,
    sign_out,
)
from wagtail_securelink.verification.emails import deliver_code
from wagtail_securelink.verification.passkeys import (
    begin_authentication,
    begin_registration,
    finish_authentication,
    finish_registration,
    passkeys_of,
    remove_passkeys,
)
from wagtail_securelink.verification.requests import pending_email, request_code
from wagtail_securelink.verification.verify import check_password, verify_code

__all__ = [
    # links, from .links and .link_rules
    "current_policy",
    "create_link",
    "change_expiry",
    "revoke_link",
    "revoke_links",
    "link_url",
    # recipients and invitations, from .recipients and .invitations
    "normalise_email",
    "clean_recipients",
    "add_recipients",
    "remove_recipient",
    "unlock_recipient",
    "InvitationReport",
    "send_invitations_to",
    "resend_invitation",
    "deliver_invitation",
    # people outside the organisation, from .people and .erasure
    "people_for",
    "recipients_of",
    "set_access_end",
    "remove_people",
    "unlock_people",
    "resend_to_people",
    "erase_address",
    # the visitor side, from .access, .code_requests, .code_emails, .verification
    "resolve_token",
    "request_code",
    "pending_email",
    "deliver_code",
    "verify_code",
    "check_password",
    "get_access",
    "open_grant",
    "end_grant",
    "sign_out",
    "reverification_days",
    "record_event",
    # passkeys, from .passkeys
    "begin_registration",
    "finish_registration",
    "begin_authentication",
    "finish_authentication",
    "passkeys_of",
    "remove_passkeys",
    # rules, from .enforcement
    "address_allowed",
    "stop_reason",
    # private items (S16), from .privacy and .notifications
    "item_state",
    "live_pages_using",
    "make_public",
    "make_private",
    "notify_upload",
    # reviewers' comments on a page preview, from .comments
    "add_comment",
    "comments_for",
]
