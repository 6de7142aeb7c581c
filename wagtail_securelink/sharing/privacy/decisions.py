"""Privacy decisions (S16): what a new link, a received file and the editor's "Make
public" / "Make private again" write. Each decision replaces the item's row and is
recorded as an access event and a Wagtail log entry; ``state`` reads the rows."""

from django.db import transaction
from django.utils import timezone
from wagtail.log_actions import log
from wagtail.models import Collection

from wagtail_securelink.audit.events import record_event
from wagtail_securelink.choices import Audience, EventType, PrivacyReason
from wagtail_securelink.models import PrivateItem
from wagtail_securelink.sharing.privacy.state import item_state

__all__ = ["apply_share", "mark_uploaded", "make_public", "make_private", "LOG_ACTIONS"]

# Wagtail log actions, registered in wagtail_hooks.
LOG_ACTIONS = {
    True: "wagtail_securelink.make_private",
    False: "wagtail_securelink.make_public",
    PrivacyReason.KEPT_PUBLIC: "wagtail_securelink.keep_public",
}
_EVENTS = {
    PrivacyReason.SHARED: EventType.ITEM_MADE_PRIVATE,
    PrivacyReason.MADE_PRIVATE: EventType.ITEM_MADE_PRIVATE,
    PrivacyReason.KEPT_PUBLIC: EventType.ITEM_KEPT_PUBLIC,
    PrivacyReason.MADE_PUBLIC: EventType.ITEM_MADE_PUBLIC,
}


def _set(target, *, private, reason, user=None, link=None, request=None, **fields):
    """Write the item's newest decision; record it as an event and a log entry."""
    is_collection = isinstance(target, Collection)
    key = {"collection": target} if is_collection else {"document": target}
    with transaction.atomic():
        row, _created = PrivateItem.objects.update_or_create(
            **key,
            defaults={
                "private": private,
                "reason": reason,
                "changed_by": user,
                "changed_at": timezone.now(),
                # "Make public" keeps the link that made the item private or sent it.
                **({"link": link} if link is not None else {}),
                **fields,
            },
        )
        if reason in _EVENTS:
            detail = {"reason": reason}
            detail.update(
                {"collection": target.pk, "subcollections": row.include_descendants}
                if is_collection
                else {"document": target.pk}
            )
            record_event(
                _EVENTS[reason], link=link, user=user, request=request, detail=detail
            )
            log(
                instance=target,
                action=LOG_ACTIONS.get(reason, LOG_ACTIONS[private]),
                user=user,
                data={"reason": reason, "link": getattr(link, "pk", None)},
            )
    return row


def apply_share(link, *, keep_public: bool, policy, user=None, request=None) -> str:
    """What a new link does to its item's privacy. Returns what happened:
    ``"made_private"``, ``"kept_public"``, ``"already_private"`` or ``"public"`` (an
    ``anyone`` link, or a policy that does not make shared items private)."""
    target = link.target
    if link.audience == Audience.ANYONE:
        return "public"
    state = item_state(target)
    is_collection = isinstance(target, Collection)
    own = state.record if state.inherited_from is None else None
    # A private collection whose row does not cover subcollections yet, shared again
    # with them: widen it.
    widen = bool(
        is_collection
        and state.private
        and link.include_descendants
        and own is not None
        and not own.include_descendants
    )
    if state.private and not widen:
        return "already_private"
    if not policy.private_by_default and not widen:
        return "public"
    if keep_public and not state.private:
        _set(
            target,
            private=False,
            reason=PrivacyReason.KEPT_PUBLIC,
            user=user,
            link=link,
            request=request,
        )
        return "kept_public"
    fields = {}
    if is_collection:
        fields["include_descendants"] = link.include_descendants or bool(
            own is not None and own.include_descendants
        )
    _set(
        target,
        private=True,
        reason=PrivacyReason.SHARED,
        user=user,
        link=link,
        request=request,
        **fields,
    )
    return "made_private"


def mark_uploaded(document, *, link, uploaded_by: str = "", user=None) -> None:
    """A file received through a link is private, whatever the policy says (S16).

    ``uploaded_by`` is the visitor's address; empty for an ``anyone`` link.
    """
    PrivateItem.objects.update_or_create(
        document=document,
        defaults={
            "private": True,
            "reason": PrivacyReason.UPLOADED,
            "link": link,
            "uploaded_by": uploaded_by or PrivateItem.ANYONE_LINK,
            "changed_by": user if getattr(user, "is_authenticated", False) else None,
            "changed_at": timezone.now(),
        },
    )


def make_public(target, *, user, request=None) -> PrivateItem:
    """The editor's explicit "Make public" (Manage access)."""
    return _set(
        target,
        private=False,
        reason=PrivacyReason.MADE_PUBLIC,
        user=user,
        request=request,
    )


def make_private(target, *, user, request=None) -> PrivateItem:
    """The editor's explicit "Make private again" (Manage access)."""
    fields = {}
    if isinstance(target, Collection):
        row = PrivateItem.objects.filter(collection=target).first()
        fields["include_descendants"] = bool(row and row.include_descendants)
    return _set(
        target,
        private=True,
        reason=PrivacyReason.MADE_PRIVATE,
        user=user,
        request=request,
        **fields,
    )
