"""Private items (SPEC §2 *Private item*, S16): which documents Wagtail may serve publicly.

A document is private when its own ``PrivateItem`` row says so, or when a private row
of its collection (or of an ancestor whose row covers subcollections) is newer than
every public decision taken nearer to the document. So:

* sharing a collection with specific people makes the documents in it private *at
  request time*: a document moved in becomes private, one moved out follows its own row;
* an editor's "Make public" on a document or a subcollection wins over an older
  private decision further up, and a newer "Make private again" further up wins back;
* a file received through a link has a private row of its own, which no collection
  decision can lift: only "Make public" on that document publishes it;
* revoking or expiring a link changes nothing here.

The rows hold the newest decision only; each decision is also an access event and a
Wagtail log entry.
"""

from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from wagtail.models import Collection

from wagtail_securelink.models import PrivateItem

__all__ = [
    "PrivacyState",
    "item_state",
    "document_state",
    "collection_state",
    "is_private",
    "private_document_ids",
]


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
