"""Lifecycle scenarios: YAML stories run against fresh sandboxes and a fresh store."""
