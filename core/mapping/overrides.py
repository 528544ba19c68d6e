"""Per-deployment overrides: later files for the same connector change earlier ones field by field.

The rule (documented in docs/mapping.md):
- files are applied in order: the shipped directory, then each override directory of hub.yaml;
- a lookup table replaces the table of the same name;
- a stream not mapped before is added (it must name its `entity:`);
- a stream mapped before is changed key by key: each field given replaces that field, a field
  set to null (`~`) is removed, `when:` and `required:` replace theirs when present (`when: ~`
  removes the filter); `entity:` may be repeated but not changed;
- `replace: true` on a stream discards the earlier mapping of that stream instead;
- a stream set to null (`workers: ~`) removes the stream's mapping (records are staged unmapped).
"""

from __future__ import annotations

import copy

from core.mapping.document import MappingDoc, Problems, StreamDoc


def merge(base: MappingDoc, override: MappingDoc, problems: Problems) -> MappingDoc:
    merged = copy.copy(base)
    merged.lookups = {**base.lookups, **override.lookups}
    merged.streams = dict(base.streams)
    merged.files = [*base.files, *override.files]
    for name, stream in override.streams.items():
        earlier = base.streams.get(name)
        if stream is None or earlier is None or stream.replace:
            merged.streams[name] = stream
        else:
            merged.streams[name] = _merge_stream(earlier, stream, problems)
    return merged


def _merge_stream(base: StreamDoc, override: StreamDoc, problems: Problems) -> StreamDoc:
    merged = copy.copy(base)
    if override.entity is not None and base.entity is not None and override.entity.value != base.entity.value:
        problems.add(
            override.entity.where,
            f"stream {override.name!r}: an override cannot change entity {base.entity.value!r} "
            f"(from {base.entity.where}) to {override.entity.value!r}; add `replace: true` to map the stream anew",
        )
    if override.has_when:
        merged.when, merged.has_when = override.when, True
    if override.required is not None:
        merged.required = override.required
    merged.fields = dict(base.fields)
    for name, expression in override.fields.items():
        if expression is None:
            merged.fields.pop(name, None)
        else:
            merged.fields[name] = expression
    return merged
