from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = [
    "Audience",
    "Role",
    "TargetType",
    "PageRevision",
    "EventType",
    "IPStorage",
    "PrivacyReason",
]


class Audience(models.TextChoices):
    SPECIFIC = "specific", _("Specific people")
    ORGANIZATION = "organization", _("People signed in to this site")
    ANYONE = "anyone", _("Anyone with the link")


class Role(models.TextChoices):
    VIEW = "view", _("View only")
    DOWNLOAD = "download", _("View and download")
    EDIT = "edit", _("Edit")
    UPLOAD = "upload", _("Upload only (file request)")

    # What each role lets a visitor do. Each takes the stored value (``link.role`` is
    # a plain string), so an unknown value is allowed nothing.

    @classmethod
    def can_see(cls, role) -> bool:
        """The visitor may see the item: its page, the folder listing, the pages."""
        return role in (cls.VIEW, cls.DOWNLOAD, cls.EDIT)

    @classmethod
    def can_download(cls, role) -> bool:
        """The visitor may get the file itself (a view-only visitor never does)."""
        return role in (cls.DOWNLOAD, cls.EDIT)

    @classmethod
    def can_upload(cls, role) -> bool:
        """The visitor may add files to a shared collection."""
        return role in (cls.EDIT, cls.UPLOAD)

    @classmethod
    def can_replace(cls, role) -> bool:
        """The visitor may upload a new version of a document."""
        return role == cls.EDIT

    @classmethod
    def is_view_only(cls, role) -> bool:
        """Pages rendered on the server only: the original file never leaves."""
        return role == cls.VIEW


class TargetType(models.TextChoices):
    DOCUMENT = "document", _("Document")
    COLLECTION = "collection", _("Collection")
    PAGE = "page", _("Page preview")


class PageRevision(models.TextChoices):
    """Which content a page preview link shows."""

    LATEST = "latest", _("The latest draft (the link follows later changes)")
    SHARED = "shared", _("The revision at sharing (later changes stay unseen)")


class IPStorage(models.TextChoices):
    FULL = "full", _("Full address")
    ANONYMISED = "anonymised", _("Anonymised (IPv4 /24, IPv6 /48)")
    NONE = "none", _("Do not store")


class EventType(models.TextChoices):
    LINK_CREATED = "link_created", _("Link created")
    LINK_CHANGED = "link_changed", _("Link changed")
    LINK_REVOKED = "link_revoked", _("Link revoked")
    RECIPIENT_ADDED = "recipient_added", _("Recipient added")
    RECIPIENT_REMOVED = "recipient_removed", _("Recipient removed")
    RECIPIENT_UNLOCKED = "recipient_unlocked", _("Recipient unlocked")
    INVITATION_SENT = "invitation_sent", _("Invitation sent")
    INVITATION_FAILED = "invitation_failed", _("Invitation could not be sent")
    OPENED = "opened", _("Opened")
    CODE_REQUESTED = "code_requested", _("Code requested")
    CODE_SENT = "code_sent", _("Code sent")
    CODE_SEND_FAILED = "code_send_failed", _("Code could not be sent")
    CODE_FAILED = "code_failed", _("Wrong code")
    CODE_LOCKED = "code_locked", _("Recipient locked")
    PASSWORD_FAILED = "password_failed", _("Wrong password")
    VERIFIED = "verified", _("Verified")
    GRANT_ENDED = "grant_ended", _("Access ended")
    VIEWED = "viewed", _("Viewed")
    DOWNLOADED = "downloaded", _("Downloaded")
    UPLOADED = "uploaded", _("Uploaded")
    SIGNED_OUT = "signed_out", _("Signed out")
    RATE_LIMITED = "rate_limited", _("Rate limited")
    UNLISTED_ADDRESS = "unlisted_address", _("Unlisted address tried the link")
    ACCOUNT_SIGN_IN_SENT = "account_sign_in_sent", _("Sign-in reminder sent")
    VERSION_DOWNLOADED = "version_downloaded", _("Earlier version downloaded")
    VERSION_RESTORED = "version_restored", _("Earlier version restored")
    # Private items (S16): the editor's choice on the share form, and the explicit
    # "Make public" / "Make private again" of Manage access.
    ITEM_MADE_PRIVATE = "item_made_private", _("Item made private")
    ITEM_KEPT_PUBLIC = "item_kept_public", _("Item kept public")
    ITEM_MADE_PUBLIC = "item_made_public", _("Item made public")
    # People outside the organisation: per-person expiry and access requests.
    RECIPIENT_EXPIRY_CHANGED = "recipient_expiry_changed", _("Access end changed")
    ACCESS_REQUESTED = "access_requested", _("Access requested")
    ACCESS_REQUEST_APPROVED = "access_request_approved", _("Access request approved")
    ACCESS_REQUEST_DECLINED = "access_request_declined", _("Access request declined")
    # View-only links: the visitor accepted the link's terms.
    TERMS_ACCEPTED = "terms_accepted", _("Terms accepted")
    # Passkeys: saved after a code, used instead of one, refused, removed.
    PASSKEY_REGISTERED = "passkey_registered", _("Passkey saved")
    PASSKEY_USED = "passkey_used", _("Passkey used")
    PASSKEY_FAILED = "passkey_failed", _("Passkey refused")
    PASSKEY_REMOVED = "passkey_removed", _("Passkey removed")
    # Page previews: a verified reviewer commented (the text is the comment's row).
    COMMENTED = "commented", _("Commented")


class PasskeyPolicy(models.TextChoices):
    """Whether outsiders may save a passkey after a code (the policy's ``passkeys``)."""

    OFF = "off", _("Off")
    OFFERED = "offered", _("Offered after a code")
    # A browser a passkey let in stays in for the policy's hours at most.
    OFFERED_LIMITED = (
        "offered_limited",
        _("Offered after a code; a browser a passkey let in stays in for a few hours"),
    )


class PrivacyReason(models.TextChoices):
    """Why an item is private or public (the newest decision on it)."""

    SHARED = "shared", _("Shared with specific people or the organisation")
    UPLOADED = "uploaded", _("Received through a link")
    KEPT_PUBLIC = "kept_public", _("Kept public when shared")
    MADE_PUBLIC = "made_public", _("Made public by an editor")
    MADE_PRIVATE = "made_private", _("Made private again by an editor")


def choice_label(choices, value) -> str:
    """``value``'s label in ``choices``, or ``value`` itself when it is not one of them
    (a role or audience stored before the choices changed)."""
    return str(choices(value).label) if value in choices.values else value
