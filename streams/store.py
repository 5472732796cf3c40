"""`TableBackedStore`: the engine's `StateStore` over a changelog-backed key/value table.

The working set lives in memory as `AccountState` objects (the engine mutates them); after
each batch `flush()` writes every entity the engine touched (`AccountState.dirty`) once, to
the changelog partition that owns the account. On partition assignment `rebuild()` turns
the table's contents back into `AccountState` objects, so a restarted or moved worker
continues from the changelog.

Table layout (keys and values are bytes; `SEP` = 0x1F; see `streams.codec`):

| key | value |
|---|---|
| `{account}␟{namespace}␟{json key}` | one entity of `AccountState.{namespace}` (a dict field) |
| `{account}␟meta␟"{field}"` | a scalar field of `AccountState` (`watermark`) |
| `{account}␟seen␟{T}` | JSON list of the event ids first applied at processing time `T` |
| `␟journal␟[{partition},{slot},{part}]` | the whole write set of one flush of one partition |

Duplicate-id memory is grouped by processing time: one key per (account, batch), written
once, deleted when the engine prunes those ids, instead of one changelog record per event.

Split fields: an entity's int-keyed dict field with more than SPLIT_MIN entries (a post's
points) is stored as buckets `{account}␟{namespace}~{field}␟[entity key, bucket]`, so that one
new point rewrites one small bucket instead of the whole post.

Atomic batches: a flush of one partition is ONE group (`TableIO.write_group`), which the
Kafka implementation sends as one record batch, appended whole or not at all. A flush larger
than `io.atomic_bytes` writes first a *journal* (every key and value of the flush, in parts,
in the slot its partition's previous journal does not use), then the keys in several groups.
Kafka keeps the order within a partition, so whatever prefix survives a crash, "the keys,
then the latest complete journal on top" is the state after some whole batch: never half a
batch, never an event marked seen without its effects (lost on re-delivery) nor effects
without the seen mark (counted twice). The next atomic flush of the partition retires its
journals in the same record batch; `rebuild()` overlays the journal and the next flush
re-sends what the changelog lacked. A batch is acked (so its offsets can be committed) only
after its groups were acknowledged, so the events of a lost batch are re-delivered.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from kpis.state import AccountState
from streams.codec import (
    ENTITY_CLASSES,
    decode_key,
    decode_value,
    dumps,
    encode_key,
    encode_value,
)

log = logging.getLogger(__name__)

SEP = b"\x1f"
JOURNAL = b"journal"
META = b"meta"
SEEN = b"seen"
JOURNAL_PREFIX = SEP + JOURNAL + SEP
_ABSENT = object()
RECORD_OVERHEAD = 32  # bytes a record adds to a batch besides its key and value (upper bound)

# AccountState fields: dicts are namespaces of entities, the rest are scalar "meta" fields.
_STATE_FIELDS = [f for f in dataclasses.fields(AccountState) if f.name != "dirty"]
NAMESPACES = frozenset(f.name for f in _STATE_FIELDS if f.default_factory is dict)
META_FIELDS = tuple(f.name for f in _STATE_FIELDS if f.name not in NAMESPACES)
_NS_BYTES = {name: name.encode() for name in NAMESPACES}

# Entities with dict fields (Post.points, Post.snapshots, ...): when such a dict grows past
# SPLIT_MIN entries, it is stored as buckets of int keys (key >> BUCKET_SHIFT, about 72
# minutes of microsecond times) under `{account}␟{namespace}~{field}␟[entity key, bucket]`,
# so that a new point rewrites one small bucket instead of the whole post.
SPLIT_MIN = 32
BUCKET_SHIFT = 32
_SPLITTABLE: dict[type[Any], tuple[str, ...]] = {
    cls: names
    for cls in ENTITY_CLASSES.values()
    if (names := tuple(f.name for f in dataclasses.fields(cls) if f.default_factory is dict))
}
_ALL_SPLIT_FIELDS = tuple(sorted({name for names in _SPLITTABLE.values() for name in names}))
_META_KEYS = {name: META + SEP + encode_key(name) for name in META_FIELDS}


class TableIO(Protocol):
    """What the store needs from a table: local reads and changelog-backed writes."""

    def get(self, key: bytes) -> bytes | None: ...

    @property
    def atomic_bytes(self) -> int:
        """Largest group `write_group` appends atomically (one Kafka record batch)."""

    def write_group(self, partition: int, writes: list[tuple[bytes, bytes | None]]) -> None:
        """Set (or delete, value None) locally, and append the writes, in order, to changelog
        `partition` as one group: atomic (all or nothing) when within `atomic_bytes`."""

    def set_local(self, key: bytes, value: bytes | None) -> None:
        """Set or delete a key locally only, without a changelog record (recovery)."""

    def items(self) -> Iterable[tuple[bytes, bytes]]: ...


class OwnershipError(ValueError):
    """An account's event arrived on a partition that does not own the account."""


def split_key(key: bytes) -> tuple[bytes, bytes, bytes]:
    """(account, namespace, encoded key) of a table key; the account may contain SEP."""
    account, namespace, sub = key.rsplit(SEP, 2)
    return account, namespace, sub


def journal_key(partition: int, slot: int, part: int) -> bytes:
    return JOURNAL_PREFIX + f"[{partition},{slot},{part}]".encode()


class TableBackedStore:
    """Implements `kpis.store.StateStore` (get / accounts) over a `TableIO`."""

    def __init__(
        self,
        io: TableIO,
        clock: Any,
        journal: bool = True,
        journal_part_bytes: int = 512 * 1024,
    ) -> None:
        self.io = io
        self._clock = clock  # () -> wall-clock microseconds
        self.journal = journal
        self.journal_part_bytes = journal_part_bytes
        self._accounts: dict[str, AccountState] = {}
        self._partition: dict[str, int] = {}  # account -> changelog/source partition
        self._chunks: dict[str, dict[int, list[str]]] = {}  # account -> T -> seen ids
        self._meta: dict[str, tuple[Any, ...]] = {}  # account -> last written meta values
        # (entity key, field) -> bucket -> bucket key, for split dict fields
        self._buckets: dict[tuple[bytes, str], dict[int, bytes]] = {}
        self._pending: set[str] = set()  # accounts handed out since the last flush
        self._journal_parts: dict[tuple[int, int], int] = {}  # (partition, slot) -> parts
        self._journal_slot: dict[int, int] = {}  # partition -> slot of its latest journal
        # partition -> writes of an overlaid journal the changelog lacks (sent with the next flush)
        self._repairs: dict[int, list[tuple[bytes, bytes | None]]] = {}
        self._batch_time = 0  # processing time of the current batch (unique, increasing)
        self._journal_seq = 0
        self.active_partitions: set[int] | None = None  # None: not assigned yet
        self.writes = 0  # changelog records sent (entities + journals), for metrics

    # --- StateStore ---------------------------------------------------------------------
    def get(self, account_id: str) -> AccountState:
        st = self._accounts.get(account_id)
        if st is None:
            if account_id not in self._partition:
                raise OwnershipError(f"account {account_id!r} was not routed to a partition")
            st = self._accounts[account_id] = AccountState()
            st.dirty = set()
        self._pending.add(account_id)
        return st

    def accounts(self) -> Iterator[tuple[str, AccountState]]:
        yield from sorted(self._accounts.items())

    # --- processing ---------------------------------------------------------------------
    def begin_batch(self) -> None:
        """Start a batch: a fresh processing time, strictly after every earlier one."""
        self._batch_time = max(self._clock(), self._batch_time + 1)

    def processing_time(self) -> int:
        """The engine's processing clock: the current batch's time (ages duplicate ids)."""
        return self._batch_time

    def route(self, account_id: str, partition: int) -> None:
        """Bind an account to the partition its events arrive on; refuse a second one."""
        known = self._partition.get(account_id)
        if known is None:
            self._partition[account_id] = partition
        elif known != partition:
            raise OwnershipError(
                f"account {account_id!r} belongs to partition {known}, message came on "
                f"partition {partition} (key must be the account_id and every input topic "
                "must have the same partition count)"
            )

    def partition_of(self, account_id: str) -> int | None:
        return self._partition.get(account_id)

    def __len__(self) -> int:
        return len(self._accounts)

    def __bool__(self) -> bool:
        # Engine(store=...) does `store or MemoryStore()`: an empty store must stay truthy.
        return True

    def flush(self, everything: bool = False) -> int:
        """Write what the engine touched since the last flush; returns records written."""
        names = list(self._accounts) if everything else list(self._pending)
        self._pending.clear()
        by_partition: dict[int, list[tuple[bytes, bytes | None]]] = {}
        for account_id in names:
            st = self._accounts.get(account_id)
            if st is None:
                continue
            writes = self._account_writes(account_id, st)
            if writes:
                by_partition.setdefault(self._partition[account_id], []).extend(writes)
        written = 0
        for partition, writes in by_partition.items():
            written += self._write_partition(partition, writes)
        self.writes += written
        return written

    def _account_writes(
        self, account_id: str, st: AccountState
    ) -> list[tuple[bytes, bytes | None]]:
        dirty = st.dirty
        meta = tuple(getattr(st, name) for name in META_FIELDS)
        if not dirty and self._meta.get(account_id) == meta:
            return []
        prefix = account_id.encode() + SEP
        get = self.io.get
        writes: list[tuple[bytes, bytes | None]] = []
        new_seen: dict[int, list[str]] = {}
        seen_removed = False
        for namespace, key in dirty or ():
            if namespace == "seen":
                t = st.seen.get(key)  # type: ignore[call-overload]
                if t is None:
                    seen_removed = True
                else:
                    new_seen.setdefault(t, []).append(key)  # type: ignore[arg-type]
                continue
            table_key = prefix + _NS_BYTES[namespace] + SEP + encode_key(key)
            value = getattr(st, namespace).get(key, _ABSENT)
            if value is _ABSENT:
                if get(table_key) is not None:
                    writes.append((table_key, None))
                for name in _ALL_SPLIT_FIELDS:
                    self._unsplit(table_key, name, writes)
            else:
                fields = _SPLITTABLE.get(type(value))
                if fields:
                    value = self._split(table_key, namespace, key, value, fields, writes)
                data = encode_value(value)
                if get(table_key) != data:
                    writes.append((table_key, data))
        if dirty:
            dirty.clear()
        if new_seen or seen_removed:
            writes.extend(self._seen_writes(account_id, st, prefix, new_seen, seen_removed))
        if self._meta.get(account_id) != meta:
            self._meta[account_id] = meta
            for name, value in zip(META_FIELDS, meta, strict=True):
                table_key = prefix + _META_KEYS[name]
                data = encode_value(value)
                if get(table_key) != data:
                    writes.append((table_key, data))
        return writes

    def _split(
        self,
        main_key: bytes,
        namespace: str,
        key: object,
        value: Any,
        fields: tuple[str, ...],
        writes: list[tuple[bytes, bytes | None]],
    ) -> Any:
        """Write the large int-keyed dict fields of an entity as time buckets of their own
        (only the buckets that changed); returns the entity without them."""
        get = self.io.get
        replaced: dict[str, dict[Any, Any]] = {}
        for name in fields:
            items: dict[Any, Any] = getattr(value, name)
            known = self._buckets.get((main_key, name))
            if len(items) <= SPLIT_MIN and not (known and len(items) > SPLIT_MIN // 2):
                if known:
                    self._unsplit(main_key, name, writes)
                continue
            groups: dict[int, dict[Any, Any]] = {}
            for k, v in items.items():
                groups.setdefault(k >> BUCKET_SHIFT if type(k) is int else 0, {})[k] = v
            base = main_key.rsplit(SEP, 2)[0] + SEP + f"{namespace}~{name}".encode() + SEP
            keys: dict[int, bytes] = {}
            for bucket, sub in groups.items():
                bucket_key = base + encode_key((key, bucket))
                keys[bucket] = bucket_key
                data = encode_value(sub)
                if get(bucket_key) != data:
                    writes.append((bucket_key, data))
            if known:
                writes.extend((k, None) for b, k in known.items() if b not in keys)
            self._buckets[(main_key, name)] = keys
            replaced[name] = {}
        return dataclasses.replace(value, **replaced) if replaced else value

    def _unsplit(
        self, main_key: bytes, name: str, writes: list[tuple[bytes, bytes | None]]
    ) -> None:
        known = self._buckets.pop((main_key, name), None)
        if known:
            writes.extend((k, None) for k in known.values())

    def _seen_writes(
        self,
        account_id: str,
        st: AccountState,
        prefix: bytes,
        new_seen: dict[int, list[str]],
        removed: bool,
    ) -> list[tuple[bytes, bytes | None]]:
        chunks = self._chunks.setdefault(account_id, {})
        changed: set[int] = set()
        if removed:
            seen = st.seen
            for t in list(chunks):
                ids = chunks[t]
                live = [i for i in ids if seen.get(i) == t]
                if len(live) != len(ids):
                    changed.add(t)
                    if live:
                        chunks[t] = live
                    else:
                        del chunks[t]
        for t, ids in new_seen.items():
            chunks.setdefault(t, []).extend(ids)
            changed.add(t)
        out: list[tuple[bytes, bytes | None]] = []
        for t in sorted(changed):
            table_key = prefix + SEEN + SEP + str(t).encode()
            live_ids = chunks.get(t)
            out.append((table_key, dumps(live_ids).encode() if live_ids else None))
        return out

    def _write_partition(self, partition: int, writes: list[tuple[bytes, bytes | None]]) -> int:
        """One flush of one partition: a single atomic group when it fits, else a journal."""
        repairs = self._repairs.pop(partition, None)
        if repairs:
            newer = {key for key, _ in writes}
            writes = [(k, v) for k, v in repairs if k not in newer] + writes
        # One record batch, which Kafka appends whole or not at all. It also retires the
        # journals of earlier large flushes, which would otherwise overlay newer values.
        group = writes + self._journal_tombstones(partition)
        size = sum(len(k) + len(v or b"") + RECORD_OVERHEAD for k, v in group)
        if not self.journal or size <= self.io.atomic_bytes:
            self._journal_parts = {
                k: n for k, n in self._journal_parts.items() if k[0] != partition
            }
            self._journal_slot.pop(partition, None)
            for chunk in self._chunked(group):
                self.io.write_group(partition, chunk)
            return len(group)
        return self._write_journal(partition, writes)

    def _chunked(
        self, writes: list[tuple[bytes, bytes | None]]
    ) -> Iterator[list[tuple[bytes, bytes | None]]]:
        """Groups of at most `io.atomic_bytes` (one group unless the journal is off)."""
        limit = self.io.atomic_bytes
        group: list[tuple[bytes, bytes | None]] = []
        size = 0
        for key, value in writes:
            item = len(key) + len(value or b"") + RECORD_OVERHEAD
            if group and size + item > limit:
                yield group
                group, size = [], 0
            group.append((key, value))
            size += item
        if group:
            yield group

    def _journal_tombstones(self, partition: int) -> list[tuple[bytes, bytes | None]]:
        out: list[tuple[bytes, bytes | None]] = []
        for slot in (0, 1):
            parts = self._journal_parts.get((partition, slot), 0)
            out.extend((journal_key(partition, slot, i), None) for i in range(parts))
        return out

    def _write_journal(self, partition: int, writes: list[tuple[bytes, bytes | None]]) -> int:
        """Too large for one record batch: first the journal (every write of this flush, in
        parts of one record each, in the slot the previous journal does not use), then the
        writes themselves in as many groups as needed."""
        self._journal_seq += 1
        seq = self._journal_seq
        # Alternate per partition: the other slot keeps this partition's previous journal,
        # the valid overlay until this one is complete.
        slot = 1 - self._journal_slot.get(partition, 1)
        self._journal_slot[partition] = slot
        parts: list[list[bytes]] = [[]]
        size = 0
        for key, value in writes:
            entry = b"[" + dumps(key.decode()).encode() + b"," + (value or b"null") + b"]"
            if size and size + len(entry) > self.journal_part_bytes:
                parts.append([])
                size = 0
            parts[-1].append(entry)
            size += len(entry) + 1
        n = len(parts)
        for index, entries in enumerate(parts):
            head = f'{{"b":{seq},"n":{n},"i":{index},"w":['.encode()
            value = head + b",".join(entries) + b"]}"
            self.io.write_group(partition, [(journal_key(partition, slot, index), value)])
        count = n
        for group in self._chunked(writes):
            self.io.write_group(partition, group)
            count += len(group)
        # Parts of an older, longer journal in this slot stay (their batch number marks them
        # incomplete) until an atomic flush retires every journal of the partition.
        previous = self._journal_parts.get((partition, slot), 0)
        self._journal_parts[(partition, slot)] = max(previous, n)
        return count

    # --- recovery -----------------------------------------------------------------------
    def note_changelog(self, key: bytes, partition: int) -> None:
        """A changelog record read during recovery: remember its account's partition."""
        if key.startswith(JOURNAL_PREFIX):
            return
        account = key.rsplit(SEP, 2)[0]
        name = account.decode()
        if self._partition.get(name) != partition:
            self._partition[name] = partition

    def rebuild(self, active_partitions: set[int]) -> dict[str, int]:
        """Recreate every local account from the table after a (re)assignment."""
        self.active_partitions = set(active_partitions)
        journals: dict[int, list[tuple[bytes, bytes]]] = {}
        entries: list[tuple[bytes, bytes]] = []
        foreign: list[bytes] = []
        for key, value in list(self.io.items()):
            if key.startswith(JOURNAL_PREFIX):
                partition = json.loads(key[len(JOURNAL_PREFIX) :])[0]
                if partition in active_partitions:
                    journals.setdefault(partition, []).append((key, value))
                else:
                    foreign.append(key)
                continue
            account = key.rsplit(SEP, 2)[0].decode()
            if self._partition.get(account) in active_partitions:
                entries.append((key, value))
            else:
                foreign.append(key)
        for key in foreign:
            self.io.set_local(key, None)
        self._journal_parts = {}
        self._journal_slot = {}
        self._repairs = {}
        repaired = 0
        for partition, parts in journals.items():
            repaired += self._apply_journal(partition, parts)
        if repaired:
            # The overlay changed keys: read the table again to pick them up.
            entries = [
                (k, v)
                for k, v in self.io.items()
                if not k.startswith(JOURNAL_PREFIX)
                and self._partition.get(k.rsplit(SEP, 2)[0].decode()) in active_partitions
            ]
        self._accounts.clear()
        self._chunks.clear()
        self._meta.clear()
        self._pending.clear()
        self._partition = {a: p for a, p in self._partition.items() if p in active_partitions}
        self._buckets.clear()
        max_time = self._batch_time
        buckets: list[tuple[bytes, bytes, bytes, bytes]] = []
        for key, value in entries:
            account_b, namespace, sub = split_key(key)
            if b"~" in namespace:
                buckets.append((key, account_b, namespace, value))
                continue
            account = account_b.decode()
            st = self._accounts.get(account)
            if st is None:
                st = self._accounts[account] = AccountState()
            if namespace == SEEN:
                t = int(sub)
                ids: list[str] = json.loads(value)
                self._chunks.setdefault(account, {})[t] = ids
                seen = st.seen
                for event_id in ids:
                    seen[event_id] = t
                max_time = max(max_time, t)
            elif namespace == META:
                setattr(st, decode_key(sub), decode_value(value))
            else:
                getattr(st, namespace.decode())[decode_key(sub)] = decode_value(value)
        self._merge_buckets(buckets)
        for account, st in self._accounts.items():
            st.dirty = set()
            self._meta[account] = tuple(getattr(st, name) for name in META_FIELDS)
        self._batch_time = max_time
        return {
            "accounts": len(self._accounts),
            "keys": len(entries),
            "journal_repairs": repaired,
            "dropped_keys": len(foreign),
        }

    def _merge_buckets(self, buckets: list[tuple[bytes, bytes, bytes, bytes]]) -> None:
        """Put split dict fields back into their entities (sorted by key)."""
        touched: dict[tuple[int, str], Any] = {}
        for key, account_b, namespace_b, value in buckets:
            namespace, name = namespace_b.decode().split("~", 1)
            entity_key, bucket = decode_key(key.rsplit(SEP, 1)[1])
            st = self._accounts.get(account_b.decode())
            entity = None if st is None else getattr(st, namespace).get(entity_key)
            if entity is None:
                log.warning("dropping orphan state bucket %r", key)
                continue
            getattr(entity, name).update(decode_value(value))
            main_key = account_b + SEP + namespace.encode() + SEP + encode_key(entity_key)
            self._buckets.setdefault((main_key, name), {})[bucket] = key
            touched[(id(entity), name)] = entity
        for (_, name), entity in touched.items():
            setattr(entity, name, dict(sorted(getattr(entity, name).items())))

    def _apply_journal(self, partition: int, parts: list[tuple[bytes, bytes]]) -> int:
        """Overlay the latest complete journal of a partition; returns keys re-written."""
        batches: dict[int, dict[int, Any]] = {}
        sizes: dict[int, int] = {}
        for _key, value in parts:
            doc = json.loads(value)
            batches.setdefault(doc["b"], {})[doc["i"]] = doc["w"]
            sizes[doc["b"]] = doc["n"]
            self._journal_seq = max(self._journal_seq, doc["b"])
        complete = [b for b, got in batches.items() if len(got) == sizes[b]]
        newest = (-1, 0)
        for key, value in parts:
            slot, part = json.loads(key[len(JOURNAL_PREFIX) :])[1:]
            current = self._journal_parts.get((partition, slot), 0)
            self._journal_parts[(partition, slot)] = max(current, part + 1)
            newest = max(newest, (json.loads(value)["b"], slot))
        self._journal_slot[partition] = newest[1]
        if not complete:
            return 0
        latest = max(complete)
        overlay: dict[bytes, bytes | None] = {}  # in order: a later entry for a key wins
        for index in range(sizes[latest]):
            for key_text, tree in batches[latest][index]:
                overlay[key_text.encode()] = None if tree is None else dumps(tree).encode()
        repairs: list[tuple[bytes, bytes | None]] = []
        for entry_key, new_value in overlay.items():
            if self.io.get(entry_key) != new_value:
                self.note_changelog(entry_key, partition)
                repairs.append((entry_key, new_value))
        # Not written now: a recovery can be cut short by another rebalance, and writes
        # based on a partial read would land after newer records. The next flush of this
        # partition carries them, in the same atomic group (or journal) that retires or
        # supersedes this journal; until then the journal stays and is overlaid again.
        for entry_key, new_value in repairs:
            self.io.set_local(entry_key, new_value)
        self._repairs[partition] = repairs
        return len(repairs)
