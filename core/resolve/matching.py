"""The match index of one batch, held in memory: matching a record is set arithmetic, not queries.

`load` reads, for the batch's records, every stored entity a key of theirs can hit (one query per
index and 500 keys) and then every key of those candidates (one query per 500 candidates), so
telling a weaker rule's candidate apart from a contradicting one (two employee IDs sharing one
email) needs no query per record or per candidate. Entities created earlier in the same batch
are added with `add_new` and found the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa

from core.resolve.config import MatchRule
from core.resolve.keys import Derived, Key, KeyDeriver
from core.resolve.writes import stored_keys
from core.store.schema import match_keys

#: keys (or candidates) per IN list
IN_CHUNK = 500


class KeyIndex:
    """Stored match keys a batch can reach, plus the entities the batch itself creates."""

    def __init__(self, conn: sa.Connection, entity: str, deriver: KeyDeriver) -> None:
        self.conn = conn
        self.entity = entity
        self.names = deriver.index_names
        #: (index, key) -> stored entity ids holding it
        self._owners: dict[Key, set[str]] = defaultdict(set)
        #: candidate entity id -> its stored keys
        self._keys: dict[str, set[Key]] = {}
        #: (index, key) -> the entity this batch created with it
        self._pending: dict[Key, str] = {}
        #: entity created in this batch -> its keys
        self._pending_keys: dict[str, set[Key]] = defaultdict(set)

    def load(self, records: Iterable[Derived]) -> None:
        """Read the stored entities the keys of these records can hit, and those entities' keys."""
        wanted: dict[str, set[str]] = defaultdict(set)
        for derived in records:
            for name, keys in zip(self.names, derived, strict=True):
                if keys:
                    wanted[name].update(keys)
        for index, values in wanted.items():
            ordered = sorted(values)
            for start in range(0, len(ordered), IN_CHUNK):
                rows = self.conn.execute(
                    sa.select(match_keys.c.value, match_keys.c.entity_id).where(
                        match_keys.c.entity == self.entity,
                        match_keys.c.rule == index,
                        match_keys.c.value.in_(ordered[start : start + IN_CHUNK]),
                    )
                )
                for value, entity_id in rows:
                    self._owners[(index, value)].add(entity_id)
        if len(self.names) > 1:  # only a weaker rule compares a candidate's other keys
            candidates = sorted({e for owners in self._owners.values() for e in owners})
            for start in range(0, len(candidates), IN_CHUNK):
                self._keys.update(stored_keys(self.conn, self.entity, candidates[start : start + IN_CHUNK]))

    def find(self, index: str, keys: Iterable[str]) -> set[str]:
        """Entities (stored or created in this batch) holding any of these keys of `index`."""
        found: set[str] = set()
        for key in keys:
            found |= self._owners.get((index, key), set())
            if (index, key) in self._pending:
                found.add(self._pending[(index, key)])
        return found

    def keys_of(self, candidate: str, index: str) -> set[str]:
        """The keys of `index` a candidate holds, stored or given in this batch."""
        stored = {value for i, value in self._keys.get(candidate, ()) if i == index}
        return stored | {value for i, value in self._pending_keys.get(candidate, ()) if i == index}

    def add_new(self, entity_id: str, derived: Derived) -> None:
        """An entity this batch creates (with the keys of its record): later records of the batch
        can match it."""
        for name, keys in zip(self.names, derived, strict=True):
            for key in keys:
                previous = self._pending.get((name, key))
                if previous is not None:
                    self._pending_keys[previous].discard((name, key))
                self._pending[(name, key)] = entity_id
                self._pending_keys[entity_id].add((name, key))


def applies(rule: MatchRule, instance: str, connector_type: str | None) -> bool:
    """Whether a rule limited to some sources applies to a record of this instance."""
    return not rule.sources or bool({instance, connector_type} & set(rule.sources))
