"""``/securelink/links/``: share links, as the token's user (see ``docs/api.md``).

Thin views over ``services`` and ``permissions``, exactly as the admin's: sharing needs
``permissions.user_can_share_target`` (``add_sharelink`` and Wagtail's change permission
on the item); reading and changing links needs ``user_can_manage_links``, and a link on
an item the user may not change is a 404, as it is absent from the user's list. The
policy's refusals come from the service layer and answer 422 naming what was refused.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status
from ninja.pagination import paginate
from wagtail.api.v3.errors import problem_response
from wagtail.documents import get_document_model
from wagtail.models import Collection, Page

from wagtail_securelink import services
from wagtail_securelink.api.auth import SecureLinkTokenAuth
from wagtail_securelink.api.errors import refusal
from wagtail_securelink.api.schemas import (
    ExpirySchema,
    Id,
    InvitationSchema,
    LinkCreatedSchema,
    LinkCreateSchema,
    LinkFilterSchema,
    LinkSchema,
    Pagination,
    RecipientsAddedSchema,
    RecipientsAddSchema,
    RevokedSchema,
    RevokeManySchema,
)
from wagtail_securelink.choices import TargetType
from wagtail_securelink.models import Recipient, ShareLink
from wagtail_securelink.models.policy import current_policy
from wagtail_securelink.permissions import (
    links_visible_to,
    user_can_manage_links,
    user_can_share_target,
)

__all__ = ["router"]

router = Router(tags=["secure links"], auth=SecureLinkTokenAuth())
PROBLEMS = {400: dict, 401: dict, 403: dict, 404: dict, 422: dict, 429: dict}


def _aware(value: datetime.datetime | None) -> datetime.datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)  # naive times are in the site's TIME_ZONE
    return value


def _visible_links(request: HttpRequest):
    if not user_can_manage_links(request.user):
        raise PermissionDenied(_("This token's user may not manage shared links."))
    return (
        links_visible_to(request.user)
        .select_related("created_by")
        .prefetch_related("recipients")
        .with_status(policy=current_policy(request))
    )


def _get_link(request: HttpRequest, link_id: int) -> ShareLink:
    return get_object_or_404(_visible_links(request), pk=link_id)


def _get_target(target_type: str, target_id: int):
    if target_type == TargetType.COLLECTION:
        # The root collection (depth 1) is not shareable, as in the admin.
        return get_object_or_404(Collection, pk=target_id, depth__gt=1)
    if target_type == TargetType.PAGE:
        return get_object_or_404(Page, pk=target_id, depth__gt=1)
    return get_object_or_404(get_document_model(), pk=target_id)


@router.post(
    "/",
    response={201: LinkCreatedSchema, **PROBLEMS},
    url_name="securelink_create_link",
    operation_id="securelink_links_create",
    summary="Share a document or a collection",
)
def create_link(request: HttpRequest, data: LinkCreateSchema):
    target = _get_target(data.target_type, data.target_id)
    if not user_can_share_target(request.user, target):
        raise PermissionDenied(_("This token's user may not share this item."))
    try:
        link = services.create_link(
            target=target,
            created_by=request.user,
            recipients=data.recipients,
            audience=data.audience,
            role=data.role,
            expires_at=_aware(data.expires_at),
            message=data.message,
            password=data.password,
            reverification_days=data.reverification_days,
            include_descendants=data.include_descendants,
            send_invitations=data.send_invitations,
            language=data.language,
            request=request,
        )
    except ValidationError as error:
        return refusal(error)
    return Status(201, link)


@router.get(
    "/",
    response={200: list[LinkSchema], **PROBLEMS},
    url_name="securelink_list_links",
    operation_id="securelink_links_list",
    summary="List the links the token's user may manage",
)
@paginate(Pagination)
def list_links(request: HttpRequest, filters: Query[LinkFilterSchema]):
    links = _visible_links(request)
    now = timezone.now()
    if filters.status == "active":
        links = links.active(now, policy=current_policy(request))
    elif filters.status == "expired":
        links = links.expired(now, policy=current_policy(request))
    elif filters.status == "revoked":
        links = links.revoked()
    for name in ("audience", "role", "target_type"):
        if getattr(filters, name):
            links = links.filter(**{name: getattr(filters, name)})
    if filters.target_id is not None:
        if filters.target_type == TargetType.COLLECTION:
            links = links.filter(collection_id=filters.target_id)
        elif filters.target_type == TargetType.PAGE:
            links = links.filter(page_id=filters.target_id)
        else:
            links = links.filter(
                target_type=TargetType.DOCUMENT, document_id=filters.target_id
            )
    if filters.creator is not None:
        links = links.filter(created_by_id=filters.creator)
    if filters.recipient:
        matching = Recipient.objects.filter(
            link=OuterRef("pk"), email__icontains=filters.recipient.strip()
        )
        links = links.filter(Exists(matching))
    return links.order_by("-created_at", "-pk")


@router.get(
    "/{int:link_id}/",
    response={200: LinkSchema, **PROBLEMS},
    url_name="securelink_detail_link",
    operation_id="securelink_links_detail",
    summary="Read one link",
)
def get_link(request: HttpRequest, link_id: Path[Id]):
    return _get_link(request, link_id)


@router.patch(
    "/{int:link_id}/",
    response={200: LinkSchema, **PROBLEMS},
    url_name="securelink_change_link",
    operation_id="securelink_links_change_expiry",
    summary="Change a link's expiry",
)
def change_expiry(request: HttpRequest, link_id: Path[Id], data: ExpirySchema):
    link = _get_link(request, link_id)
    try:
        services.change_expiry(
            link, _aware(data.expires_at), user=request.user, request=request
        )
    except ValidationError as error:
        return refusal(error)
    return _get_link(request, link_id)


@router.post(
    "/{int:link_id}/revoke/",
    response={200: LinkSchema, **PROBLEMS},
    url_name="securelink_revoke_link",
    operation_id="securelink_links_revoke",
    summary="Revoke a link: nobody can open it any more",
)
def revoke_link(request: HttpRequest, link_id: Path[Id]):
    link = _get_link(request, link_id)
    services.revoke_link(link, user=request.user, request=request)
    return link


@router.post(
    "/revoke/",
    response={200: RevokedSchema, **PROBLEMS},
    url_name="securelink_revoke_links",
    operation_id="securelink_links_revoke_many",
    summary="Revoke many links at once",
)
def revoke_links(request: HttpRequest, data: RevokeManySchema):
    ids = set(data.ids)
    links = _visible_links(request).filter(pk__in=ids)
    found = set(links.values_list("pk", flat=True))
    count = services.revoke_links(links, user=request.user, request=request)
    return {"revoked": count, "not_found": sorted(ids - found)}


@router.post(
    "/{int:link_id}/recipients/",
    response={200: RecipientsAddedSchema, **PROBLEMS},
    url_name="securelink_add_recipients",
    operation_id="securelink_links_add_recipients",
    summary="Add people to a link for specific people",
)
def add_recipients(request: HttpRequest, link_id: Path[Id], data: RecipientsAddSchema):
    link = _get_link(request, link_id)
    try:
        rows = services.add_recipients(
            link,
            data.recipients,
            added_by=request.user,
            send_invitations=data.send_invitations,
            language=data.language,
            request=request,
        )
    except ValidationError as error:
        return refusal(error)
    return {"added": [row.email for row in rows], "link": _get_link(request, link_id)}


def _get_recipient(request: HttpRequest, link_id: int, recipient_id: int):
    link = _get_link(request, link_id)
    recipient = get_object_or_404(link.recipients.all(), pk=recipient_id)
    recipient.link = link
    return recipient


@router.delete(
    "/{int:link_id}/recipients/{int:recipient_id}/",
    response={204: None, **PROBLEMS},
    url_name="securelink_remove_recipient",
    operation_id="securelink_links_remove_recipient",
    summary="Remove a person: their access ends on their next request",
)
def remove_recipient(request: HttpRequest, link_id: Path[Id], recipient_id: Path[Id]):
    recipient = _get_recipient(request, link_id, recipient_id)
    services.remove_recipient(recipient, user=request.user, request=request)
    return Status(204, None)


@router.post(
    "/{int:link_id}/recipients/{int:recipient_id}/resend/",
    response={200: InvitationSchema, 503: dict, **PROBLEMS},
    url_name="securelink_resend_invitation",
    operation_id="securelink_links_resend_invitation",
    summary="Email the invitation to one person again",
)
def resend_invitation(request: HttpRequest, link_id: Path[Id], recipient_id: Path[Id]):
    recipient = _get_recipient(request, link_id, recipient_id)
    try:
        report = services.resend_invitation(
            recipient, user=request.user, request=request
        )
    except ValidationError as error:
        return refusal(error)
    if report.failed:
        return problem_response(
            status=503,
            detail=_("The invitation to %(email)s could not be sent.")
            % {"email": recipient.email},
        )
    return report
