"""Private items (SPEC §2 *Private item*, S16): which documents Wagtail may serve publicly.

First the state: at request time, whether a document or a collection is private (the
rule is under "The state" below); then the decisions that links, uploads and editors record;
last, the live pages that use an item.
"""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.log_actions import log
from wagtail.models import Collection, Page, ReferenceIndex

from wagtail_securelink.audit.events import record_event
from wagtail_securelink.choices import EventType, PrivacyReason
from wagtail_securelink.models import PrivateItem

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


# --------------------------------------------------------------------------------------
# The state: which documents Wagtail may serve publicly.
#
# A document is private when its own ``PrivateItem`` row says so, or when a private row
# of its collection (or of an ancestor whose row covers subcollections) is newer than
# every public decision taken nearer to the document. So:
#
# * sharing a collection with specific people makes the documents in it private *at
#   request time*: a document moved in becomes private, one moved out follows its own row;
# * an editor's "Make public" on a document or a subcollection wins over an older
#   private decision further up, and a newer "Make private again" further up wins back;
# * a file received through a link has a private row of its own, which no collection
#   decision can lift: only "Make public" on that document publishes it;
# * revoking or expiring a link changes nothing here.
#
# The rows hold the newest decision only; each decision is also an access event and a
# Wagtail log entry.


@dataclass
class PrivacyState:
    """An item's privacy now.

    ``record`` is the row that decides when the item is private, else the item's own
    row (if any). ``inherited_from`` is the collection whose row makes the item private
    when it is not the item's own row.
    """

    private: bool
    record: PrivateItem | None = None
    inherited_from: Collection | None = None


def _ancestor_paths(collection) -> list[str]:
    step = Collection.steplen
    return [
        collection.path[:end] for end in range(step, len(collection.path) + 1, step)
    ]


def _decide(rows, *, own_level: int, direct_level: int) -> tuple[bool, object]:
    """``rows`` are ``(level, row)``; the item is at ``own_level``. A private row at
    ``direct_level`` or nearer covers the item as such; one further up only when it
    covers subcollections. A public row nearer to the item and newer cancels it."""
    covering = [
        (level, row)
        for level, row in rows
        if row.private and (level >= direct_level or row.include_descendants)
    ]
    for level, row in sorted(covering, key=lambda pair: -pair[0]):
        cancelled = any(
            not other.private
            and other_level > level
            and other.changed_at > row.changed_at
            for other_level, other in rows
        )
        if not cancelled:
            return True, row
    own = next((row for level, row in rows if level == own_level), None)
    return False, own


def _rows(condition) -> list:
    return list(
        PrivateItem.objects.filter(condition).annotate(
            collection_path=F("collection__path")
        )
    )


def _state(item, rows, *, own_level, direct_level) -> PrivacyState:
    private, row = _decide(rows, own_level=own_level, direct_level=direct_level)
    inherited = None
    if row is not None and private and row.collection_id is not None:
        if not (isinstance(item, Collection) and row.collection_id == item.pk):
            inherited = row.collection
    return PrivacyState(private, row, inherited)


def _level(row) -> int:
    return len(row.collection_path) // Collection.steplen


def document_state(document) -> PrivacyState:
    """The document's privacy now, in one query (plus its collection if not loaded)."""
    paths = _ancestor_paths(document.collection)
    own_level = len(paths) + 1
    rows = [
        (own_level if row.document_id else _level(row), row)
        for row in _rows(Q(document_id=document.pk) | Q(collection__path__in=paths))
    ]
    return _state(document, rows, own_level=own_level, direct_level=own_level - 1)


def collection_state(collection) -> PrivacyState:
    paths = _ancestor_paths(collection)
    rows = [(_level(row), row) for row in _rows(Q(collection__path__in=paths))]
    return _state(collection, rows, own_level=len(paths), direct_level=len(paths))


def item_state(target) -> PrivacyState:
    if isinstance(target, Collection):
        return collection_state(target)
    return document_state(target)


def is_private(document) -> bool:
    return document_state(document).private


def private_document_ids(documents: QuerySet) -> set[int]:
    """The ids of the private documents among ``documents``, by the rule of
    ``document_state``, in three queries whatever the number of documents (for
    listings such as Wagtail's API, where one query a document would not do)."""
    step = Collection.steplen
    collection_rows = [
        (row.collection_path, row) for row in _rows(Q(collection__isnull=False))
    ]
    own_rows = {
        row.document_id: row for row in _rows(Q(document__in=documents.values("pk")))
    }
    if not collection_rows and not own_rows:
        return set()
    covered = Q(pk__in=list(own_rows))
    for path, _row in collection_rows:
        covered |= Q(collection__path__startswith=path)
    private = set()
    candidates = documents.prefetch_related(None).filter(covered)
    for pk, path in candidates.values_list("pk", "collection__path"):
        own_level = len(path) // step + 1
        rows = [
            (len(p) // step, row) for p, row in collection_rows if path.startswith(p)
        ]
        if pk in own_rows:
            rows.append((own_level, own_rows[pk]))
        if _decide(rows, own_level=own_level, direct_level=own_level - 1)[0]:
            private.add(pk)
    return private


# --------------------------------------------------------------------------------------
# Privacy decisions (S16): what a new link, a received file and the editor's "Make
# public" / "Make private again" write. Each decision replaces the item's row and is
# recorded as an access event and a Wagtail log entry; ``state`` reads the rows.

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
    ``anyone`` link without protections that need it, or a policy that does not make
    shared items private: ``ShareLink.needs_private_item``)."""
    target = link.target
    if not link.needs_private_item:
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


# --------------------------------------------------------------------------------------
# Where an item is used: the live pages that link to it, so the editor knows what
# making it private would break.


def live_pages_using(target) -> QuerySet:
    """Live pages that use the document (or a document in the collection's subtree),
    according to Wagtail's reference index."""
    if isinstance(target, Collection):
        documents = get_document_model().objects.filter(
            collection__path__startswith=target.path
        )
        references = ReferenceIndex.get_references_to_in_bulk(documents)
    else:
        references = ReferenceIndex.get_references_to(target)
    page_ids = references.filter(
        base_content_type=ContentType.objects.get_for_model(Page)
    ).values_list("object_id", flat=True)
    return (
        Page.objects.live()
        .filter(pk__in=[int(pk) for pk in page_ids if pk.isdigit()])
        .order_by("title")
    )
