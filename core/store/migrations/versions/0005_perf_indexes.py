"""match_keys indexed by (entity, entity_id) for the deletes resolution issues; staged records'
content hashes recomputed with the staging hash (BLAKE2b over orjson's canonical encoding) so an
upgraded store does not see every record as changed on its next sync.

Revision ID: 0005_perf_indexes
Revises: 0004
Create Date: 2026-12-07
"""

import hashlib
import json
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

revision = "0005_perf_indexes"
down_revision = "0004"
branch_labels = None
depends_on = None

#: rows re-hashed per statement batch
CHUNK = 2000


def _canonical(value: Any) -> bytes:
    """Frozen copy of `core.store.encoding.canonical` as of this revision."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        return text.encode()


def _hash(payload: Any, fragment: Any) -> str:
    digest = hashlib.blake2b(_canonical(payload), digest_size=32)
    digest.update(b"\x1e")
    digest.update(_canonical(fragment))
    return digest.hexdigest()


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _rehash() -> None:
    conn = op.get_bind()
    select = sa.text(
        "SELECT id, payload, fragment FROM source_records WHERE id > :after ORDER BY id LIMIT :chunk"
    )
    update = sa.text("UPDATE source_records SET content_hash = :h WHERE id = :id")
    after = 0
    while True:
        rows = conn.execute(select, {"after": after, "chunk": CHUNK}).all()
        if not rows:
            return
        conn.execute(
            update, [{"id": r.id, "h": _hash(_decoded(r.payload), _decoded(r.fragment))} for r in rows]
        )
        after = rows[-1].id


def upgrade() -> None:
    with op.batch_alter_table("match_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_match_keys_entity_id")
        batch_op.create_index("ix_match_keys_entity_entity_id", ["entity", "entity_id"], unique=False)
    _rehash()


def downgrade() -> None:
    # the hashes stay: an older hub sees every record as changed once and restages it
    with op.batch_alter_table("match_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_match_keys_entity_entity_id")
        batch_op.create_index("ix_match_keys_entity_id", ["entity_id"], unique=False)
