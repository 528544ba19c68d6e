"""Declarative REST sources: a plain REST API described in one `source.yaml` (base URL, auth,
streams with paging, incremental reads and deletions) and read by `DeclarativeSource` through the
same contracts, HTTP client, state and quarantine as a Python connector.

The format is in `definition.py` (and `docs/declarative-sources.md`); the generic fixture sandbox
that serves any definition is in the `sandbox` subpackage (never imported by production code).
"""
