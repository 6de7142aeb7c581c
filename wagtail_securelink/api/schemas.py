"""Request and response shapes of the secure-link endpoints (OpenAPI comes from these).

Strings refuse NUL (PostgreSQL cannot store it) and carry length caps, ids are bounded
to what a database integer holds, so that bad input is a 422, never a 500. No response
shape has a field for a password, a code or a token: the link's URL appears only in
``LinkCreatedSchema``, the answer to the request that created it.
"""

import datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AfterValidator
from wagtail.api.v3.pagination import WagtailLimitOffsetPagination

from wagtail_securelink.choices import Audience, EventType, Role, TargetType
from wagtail_securelink.core.languages import supported

__all__ = [
    "Pagination",
    "MAX_ID",
    "Id",
    "LinkCreateSchema",
    "LinkCreatedSchema",
    "LinkSchema",
    "LinkFilterSchema",
    "ExpirySchema",
    "RecipientsAddSchema",
    "RecipientsAddedSchema",
    "RecipientSchema",
    "RevokeManySchema",
    "RevokedSchema",
    "InvitationSchema",
    "EventSchema",
    "EventFilterSchema",
]

MAX_ID = 2**63 - 1  # the largest id a 64-bit database integer holds


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed.")
    return value


def Text(max_length: int):
    return Annotated[str, Field(max_length=max_length), AfterValidator(_no_nul)]


def _site_language(value: str) -> str:
    """A language the site offers (``fr-ca`` → ``fr``), or "" to let the visitor's
    browser decide; anything else is refused, not silently dropped."""
    if not value:
        return ""
    language = supported(value)
    if not language:
        raise ValueError("Not a language of this site (see settings.LANGUAGES).")
    return language


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Language = Annotated[
    str,
    Field(
        max_length=15,
        description="The recipients' language (every email to them is written in "
        "it), one of the site's LANGUAGES. Empty: their browser's, on their first "
        "visit.",
    ),
    AfterValidator(_site_language),
]
AudienceName = Literal[tuple(Audience.values)]
RoleName = Literal[tuple(Role.values)]
TargetTypeName = Literal[tuple(TargetType.values)]
EventName = Literal[tuple(EventType.values)]
Status = Literal["active", "expired", "revoked"]


class LinkCreateSchema(Schema):
    target_type: TargetTypeName = Field(description="document, collection or page")
    target_id: Id
    audience: AudienceName | None = Field(None, description="Default: the policy's")
    role: RoleName | None = Field(None, description="Default: the policy's")
    recipients: list[Text(254)] = Field(default_factory=list, max_length=500)
    expires_at: datetime.datetime | None = None
    password: Text(128) = Field("", description="anyone links only; never returned")
    reverification_days: int | None = Field(None, ge=1, le=365)
    include_descendants: bool = True
    message: Text(2000) = ""
    send_invitations: bool = True
    language: Language = ""


class RecipientSchema(Schema):
    id: int
    email: str
    language: str = Field(description="Empty until known")
    invited_at: datetime.datetime | None
    first_opened_at: datetime.datetime | None
    locked: bool = Field(validation_alias="is_locked")


class TargetSchema(Schema):
    type: str
    id: int | None = Field(description="null when the item was deleted")
    title: str


class LinkSchema(Schema):
    """A link as read from a ``ShareLink`` row (with ``created_by`` and ``recipients`` loaded)."""

    id: int
    target: TargetSchema
    include_descendants: bool
    audience: str
    role: str
    status: Status
    has_password: bool
    reverification_days: int | None
    message: str
    recipients: list[RecipientSchema]
    created_by: str | None = Field(description="The creator's username")
    created_at: datetime.datetime
    expires_at: datetime.datetime | None
    revoked_at: datetime.datetime | None
    last_opened_at: datetime.datetime | None
    open_count: int

    @staticmethod
    def resolve_target(link) -> dict:
        if link.target_type == TargetType.COLLECTION:
            target_id = link.collection_id
        elif link.target_type == TargetType.PAGE:
            target_id = link.page_id
        else:
            target_id = link.document_id
        return {"type": link.target_type, "id": target_id, "title": link.target_title}

    @staticmethod
    def resolve_has_password(link) -> bool:
        return bool(link.password)

    @staticmethod
    def resolve_recipients(link):
        return list(link.recipients.all())

    @staticmethod
    def resolve_created_by(link) -> str | None:
        return link.created_by.get_username() if link.created_by else None


class InvitationSchema(Schema):
    sent: list[str] = []
    queued: list[str] = []
    failed: list[str] = []


class LinkCreatedSchema(LinkSchema):
    url: str = Field(description="The link's URL. Returned once, in this answer only.")
    invitations: InvitationSchema | None = None

    @staticmethod
    def resolve_invitations(link):
        return getattr(link, "invitations", None)


class LinkFilterSchema(Schema):
    status: Status | None = None
    audience: AudienceName | None = None
    role: RoleName | None = None
    target_type: TargetTypeName | None = None
    target_id: Id | None = None
    creator: Id | None = Field(None, description="The creator's user id")
    recipient: Text(254) | None = Field(None, description="Part of an address")


class ExpirySchema(Schema):
    expires_at: datetime.datetime | None = Field(
        ..., description="The new expiry; null: the link never expires"
    )


class RecipientsAddSchema(Schema):
    recipients: list[Text(254)] = Field(..., min_length=1, max_length=500)
    send_invitations: bool = True
    language: Language = ""


class RecipientsAddedSchema(Schema):
    added: list[str]
    link: LinkSchema


class RevokeManySchema(Schema):
    ids: list[Id] = Field(..., min_length=1, max_length=500)


class RevokedSchema(Schema):
    revoked: int = Field(description="Links revoked by this call")
    not_found: list[int] = Field(description="Ids that are no link you may manage")


class EventSchema(Schema):
    id: int
    created_at: datetime.datetime
    event: str
    link_id: int | None
    item: str
    email: str
    user: str | None
    ip_address: str
    detail: dict

    @staticmethod
    def resolve_item(event) -> str:
        return event.target_title

    @staticmethod
    def resolve_user(event) -> str | None:
        return event.user.get_username() if event.user_id else None


class EventFilterSchema(Schema):
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    event: list[EventName] | None = None
    link: Id | None = None
    item: Text(255) | None = Field(None, description="Part of the item's title")
    email: Text(254) | None = Field(None, description="Part of an address")


class Pagination(WagtailLimitOffsetPagination):
    """Wagtail's limit/offset pagination with an offset that a database can hold.

    Wagtail 8.0's ``WagtailLimitOffsetPagination`` bounds ``limit`` but not
    ``offset``: ``?offset=10**30`` reaches the database and fails there (a 500 on
    SQLite). Ours refuses it as bad input (422), like any other out-of-range number.
    """

    class Input(WagtailLimitOffsetPagination.Input):
        offset: int = Field(default=0, ge=0, le=MAX_ID)
