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
from typing import Any

import sqlalchemy as sa

from core.resolve.config import EntityRules, MatchRule
from core.resolve.keys import rule_keys
from core.resolve.writes import Key, stored_keys
from core.store.schema import match_keys

#: keys (or candidates) per IN list
IN_CHUNK = 500


class KeyIndex:
    """Stored match keys a batch can reach, plus the entities the batch itself creates."""

    def __init__(self, conn: sa.Connection, entity: str, rules: EntityRules) -> None:
        self.conn = conn
        self.entity = entity
        self.rules = rules
        #: (index, key) -> stored entity ids holding it
        self._owners: dict[Key, set[str]] = defaultdict(set)
        #: candidate entity id -> its stored keys
        self._keys: dict[str, set[Key]] = {}
        #: (index, key) -> the entity this batch created with it
        self._pending: dict[Key, str] = {}
        #: entity created in this batch -> its keys
        self._pending_keys: dict[str, set[Key]] = defaultdict(set)

    def load(self, fragments: Iterable[dict[str, Any]]) -> None:
        wanted: dict[str, set[str]] = defaultdict(set)
        for fragment in fragments:
            for rule in self.rules.match:
                wanted[rule.index_name].update(rule_keys(rule, fragment))
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
        if len(self.rules.match) > 1:  # only a weaker rule compares a candidate's other keys
            candidates = sorted({e for owners in self._owners.values() for e in owners})
            for start in range(0, len(candidates), IN_CHUNK):
                self._keys.update(stored_keys(self.conn, self.entity, candidates[start : start + IN_CHUNK]))

    def find(self, index: str, keys: list[str]) -> set[str]:
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

    def add_new(self, entity_id: str, fragment: dict[str, Any]) -> None:
        """An entity this batch creates: later records of the batch can match it."""
        for rule in self.rules.match:
            for key in rule_keys(rule, fragment):
                previous = self._pending.get((rule.index_name, key))
                if previous is not None:
                    self._pending_keys[previous].discard((rule.index_name, key))
                self._pending[(rule.index_name, key)] = entity_id
                self._pending_keys[entity_id].add((rule.index_name, key))


def applies(rule: MatchRule, instance: str, connector_type: str | None) -> bool:
    """Whether a rule limited to some sources applies to a record of this instance."""
    return not rule.sources or bool({instance, connector_type} & set(rule.sources))
