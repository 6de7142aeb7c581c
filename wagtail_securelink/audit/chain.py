"""The tamper-evident hash chain over access events (S15), sealed in batches.

Recording an event is one INSERT (``events.record_event``): no lock that every request
must take. Sealing comes after, in batches: ``seal_chain`` takes the unsealed events in
id order, gives each the next sequence number, the previous event's hash and its own
hash (an HMAC under ``SECRET_KEY`` over its non-personal fields, a keyed digest of its
personal fields and the previous hash), and moves the chain head. The chain's order is
the sealing order (``seq``), not the id order: on PostgreSQL an event with a smaller id
may commit after a larger one was sealed, and it is then simply sealed in the next batch.

Only one sealer works at a time: it locks the single ``AuditChainHead`` row with
``SKIP LOCKED`` (PostgreSQL), so a second sealer returns at once instead of queueing;
on SQLite the database's write lock serialises them. Editing a sealed row, deleting one
or re-ordering them breaks the chain, and without the secret key nobody can forge a
consistent replacement. Events not sealed yet are committed rows already (nothing is
lost), reported by ``verify_chain`` and ``securelink_verify_audit``.

Key rotation: each event is sealed under the ``SECRET_KEY`` of the process that sealed
it, and checked under ``SECRET_KEY`` and every ``SECRET_KEY_FALLBACKS``. When a sealer
finds the head stamped with another key's fingerprint, it records on the head that
every event sealed so far (``retired_through_seq``) was sealed under an earlier key,
with an HMAC of that record under its own key. Once the old key is dropped, those
events no longer verify: ``check_chain`` counts them as *signed with a retired key*
(their order and links to each other are still checked, their content cannot be) rather
than as changed. An event after that record that does not verify is reported as
changed, and so is a record that was moved without the key.
"""

import datetime
import json
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F
from django.utils.crypto import constant_time_compare, salted_hmac

from wagtail_securelink.core import keys
from wagtail_securelink.models import AccessEvent, AuditChainHead

__all__ = [
    "check_chain",
    "ChainReport",
    "event_hash",
    "personal_digest",
    "seal_chain",
    "sealing_lag",
    "SealingLag",
    "unsealed_count",
    "verify_chain",
    "ChainProblem",
]

_CHAIN_SALT = "wagtail_securelink.audit.chain"
_PERSONAL_SALT = "wagtail_securelink.audit.personal"
_RETIRED_SALT = "wagtail_securelink.audit.retired"


def personal_digest(email: str, ip: str, agent: str, secret=None) -> str:
    value = json.dumps([email, ip, agent])
    return salted_hmac(
        _PERSONAL_SALT, value, secret=secret, algorithm="sha256"
    ).hexdigest()


# The fields an event's hash covers, in the order ``_canonical_values`` takes them
# (``prev_hash`` comes from the chain, not the row).
_HASHED_FIELDS = (
    "created_at",
    "event",
    "link_id",
    "recipient_id",
    "user_id",
    "detail",
    "personal_digest",
)


def _canonical_values(values, prev_hash: str) -> str:
    """What an event's hash covers: ``values`` are its ``_HASHED_FIELDS``."""
    created_at, *rest = values
    return json.dumps(
        [created_at.isoformat(), *rest, prev_hash],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )


def _canonical(event: AccessEvent) -> str:
    values = [getattr(event, name) for name in _HASHED_FIELDS]
    return _canonical_values(values, event.prev_hash)


def _chain_mac(secret=None):
    """``salted_hmac`` for event hashes with its key derived once: a copy of this object,
    fed the canonical text, gives what ``event_hash`` gives (the sealer's hot loop)."""
    return salted_hmac(_CHAIN_SALT, "", secret=secret, algorithm="sha256")


def event_hash(event: AccessEvent, secret=None) -> str:
    return salted_hmac(
        _CHAIN_SALT, _canonical(event), secret=secret, algorithm="sha256"
    ).hexdigest()


def _lock_head() -> AuditChainHead | None:
    """The chain head, locked; ``None`` when another sealer holds it (PostgreSQL)."""
    head = AuditChainHead.objects.select_for_update(skip_locked=True).filter(pk=1)
    if connection.vendor == "sqlite":
        # SQLite has no row locks: write first, so this transaction holds the database's
        # write lock before it reads (a read lock upgraded later can fail as "locked").
        head.update(last_hash=F("last_hash"))
    found = head.first()
    if found is None and not AuditChainHead.objects.filter(pk=1).exists():
        AuditChainHead.objects.get_or_create(pk=1)
        found = head.first()
    return found


def _retired_mac(head: AuditChainHead, secret=None) -> str:
    value = f"{head.retired_through_seq}:{head.last_hash}"
    return salted_hmac(
        _RETIRED_SALT, value, secret=secret, algorithm="sha256"
    ).hexdigest()


def _note_key_change(head: AuditChainHead) -> None:
    """Record on the (locked) head that the events sealed so far used another key."""
    current = keys.key_id()
    if head.key_id == current:
        return
    if head.key_id and head.last_seq:
        head.retired_through_seq = head.last_seq
        # Bound to the hash of that event too, so the record cannot be re-used later.
        head.retired_mac = _retired_mac(head)
    head.key_id = current
    AuditChainHead.objects.filter(pk=head.pk).update(
        key_id=head.key_id,
        retired_through_seq=head.retired_through_seq,
        retired_mac=head.retired_mac,
    )


def _write_seals(rows: list[tuple[int, int, str, str]]) -> None:
    """Store ``(id, seq, prev_hash, hash)`` for a batch in one statement on PostgreSQL
    (``UPDATE ... FROM unnest(...)``), one prepared statement run per row elsewhere.

    ``bulk_update`` would write a ``CASE`` per column that the database evaluates per
    row against every id of the batch: quadratic in the batch size.
    """
    q = connection.ops.quote_name
    table = q(AccessEvent._meta.db_table)
    pk, seq, prev, digest = (
        q(AccessEvent._meta.get_field(name).column)
        for name in ("id", "seq", "prev_hash", "hash")
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Four array parameters, whatever the batch size: a VALUES list of 20,000
            # placeholders cost psycopg more to parse than PostgreSQL took to run it.
            ids, seqs, prevs, digests = (
                list(column) for column in zip(*rows, strict=True)
            )
            cursor.execute(
                f"UPDATE {table} SET {seq} = v.seq, {prev} = v.prev, {digest} = v.hash "  # noqa: S608  # nosec B608
                "FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[]) "
                f"AS v(id, seq, prev, hash) WHERE {table}.{pk} = v.id",
                [ids, seqs, prevs, digests],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET {seq} = %s, {prev} = %s, {digest} = %s "  # noqa: S608  # nosec B608
                f"WHERE {pk} = %s",
                [(s, p, h, i) for i, s, p, h in rows],
            )


def seal_chain(batch_size: int = 5000, max_batches: int | None = None) -> int:
    """Seal every unsealed event, oldest id first; return how many were sealed.

    Returns 0 at once when another process is sealing (it will take these too).

    Memory stays flat whatever the backlog: one batch of value tuples at a time, found
    through the partial index of unsealed ids (``securelink_event_unsealed``) after the
    last id sealed (keyset pagination: no batch re-reads or re-sorts the backlog). An
    event whose smaller id commits behind that cursor is sealed by the next call.
    """
    sealed = batches = 0
    after = 0
    mac = _chain_mac()
    while max_batches is None or batches < max_batches:
        with transaction.atomic():
            head = _lock_head()
            if head is None:
                return sealed
            _note_key_change(head)
            batch = list(
                AccessEvent.objects.filter(seq__isnull=True, pk__gt=after)
                .order_by("pk")
                .values_list("pk", *_HASHED_FIELDS)[:batch_size]
            )
            if not batch:
                return sealed
            seq, prev = head.last_seq or 0, head.last_hash
            rows = []
            for pk, *values in batch:
                seq += 1
                digest = mac.copy()
                digest.update(_canonical_values(values, prev).encode())
                rows.append((pk, seq, prev, digest.hexdigest()))
                prev = rows[-1][3]
            _write_seals(rows)
            after = batch[-1][0]
            AuditChainHead.objects.filter(pk=1).update(
                last_seq=seq, last_hash=prev, last_event_id=after
            )
        sealed += len(batch)
        batches += 1
        if len(batch) < batch_size:
            return sealed
    return sealed


@dataclass
class SealingLag:
    """How far sealing is behind: unsealed events and when the oldest was recorded."""

    unsealed: int
    oldest: datetime.datetime | None


def sealing_lag() -> SealingLag:
    """Both through the partial index of unsealed ids: the count reads the backlog's
    index entries only, the oldest is the first of them (ids grow with time)."""
    unsealed = AccessEvent.objects.filter(seq__isnull=True)
    oldest = unsealed.order_by("pk").values_list("created_at", flat=True).first()
    return SealingLag(unsealed.count() if oldest is not None else 0, oldest)


def unsealed_count() -> int:
    return AccessEvent.objects.filter(seq__isnull=True).count()


@dataclass
class ChainProblem:
    event_id: int | None
    reason: str


@dataclass
class ChainReport:
    problem: ChainProblem | None = None
    sealed: int = 0
    # Sealed events that verify under no key held now but were sealed before a recorded
    # key change: their order is checked, their content no longer can be.
    retired: int = 0
    retired_first_id: int | None = None
    retired_last_id: int | None = None


def _secrets():
    return keys.secret_keys()


def _retired_through(head: AuditChainHead | None) -> int:
    """The sequence number up to which events were sealed under an earlier key, if the
    head's record of it verifies under a key held now and matches that event; -1 when
    the record is there but does not verify."""
    if head is None or not head.retired_through_seq:
        return 0
    sealed_hash = (
        AccessEvent.objects.filter(seq=head.retired_through_seq)
        .values_list("hash", flat=True)
        .first()
    )
    if sealed_hash is None:  # purged since: the events it covered are gone too
        return 0
    probe = AuditChainHead(retired_through_seq=head.retired_through_seq)
    probe.last_hash = sealed_hash
    if any(
        constant_time_compare(_retired_mac(probe, secret=s), head.retired_mac)
        for s in _secrets()
    ):
        return head.retired_through_seq
    return -1


def _seal_of(macs, values, prev_hash: str) -> list[str]:
    """The hashes an event with these ``_HASHED_FIELDS`` values would have under each
    key held now (``macs``: one ``_chain_mac`` per key, derived once per walk)."""
    text = _canonical_values(values, prev_hash).encode()
    digests = []
    for mac in macs:
        digest = mac.copy()
        digest.update(text)
        digests.append(digest.hexdigest())
    return digests


def check_chain(chunk_size: int = 2000) -> ChainReport:
    """Walk the sealed chain in sealing order; report the first problem (if any) and
    the events that can only be checked for order (signed with a retired key).

    Unsealed events are not a problem (see ``unsealed_count``); a sealed event whose
    predecessor is missing, edited or moved is.

    The walk reads value tuples (the columns the hash covers, not model instances) and
    derives each key's HMAC once, as the sealer does: the check is linear in the events
    and its memory is one chunk.
    """
    report = ChainReport()
    head = AuditChainHead.objects.filter(pk=1).first()
    expected_prev = head.anchor_hash if head else ""
    expected_seq = None
    last_seq = last_hash = None
    retired_through = None
    macs = [_chain_mac(secret=s) for s in _secrets()]
    rows = (
        AccessEvent.objects.filter(seq__isnull=False)
        .order_by("seq")
        .values_list("pk", "seq", "prev_hash", "hash", *_HASHED_FIELDS)
    )
    for pk, seq, prev_hash, sealed_hash, *values in rows.iterator(
        chunk_size=chunk_size
    ):
        report.sealed += 1
        if (expected_seq is not None and seq != expected_seq) or not (
            constant_time_compare(prev_hash, expected_prev)
        ):
            report.problem = ChainProblem(
                pk, "the event before it was deleted or changed"
            )
            return report
        if not any(
            constant_time_compare(digest, sealed_hash)
            for digest in _seal_of(macs, values, prev_hash)
        ):
            if retired_through is None:
                retired_through = _retired_through(head)
            if retired_through == -1:
                report.problem = ChainProblem(
                    None, "the record of the last key change was altered"
                )
                return report
            if seq > retired_through:
                report.problem = ChainProblem(pk, "this event was changed")
                return report
            report.retired += 1
            report.retired_first_id = report.retired_first_id or pk
            report.retired_last_id = pk
        expected_prev, expected_seq = sealed_hash, seq + 1
        last_seq, last_hash = seq, sealed_hash
    if head and head.last_seq:
        if last_seq != head.last_seq or last_hash != head.last_hash:
            report.problem = ChainProblem(
                head.last_event_id, "the newest events were deleted"
            )
    return report


def verify_chain(chunk_size: int = 2000) -> ChainProblem | None:
    """The first problem of the sealed chain, or ``None`` (see ``check_chain``)."""
    return check_chain(chunk_size).problem
