"""Identity resolution: one canonical record per person, device, account and resource, with
per-field source precedence, history, review of ambiguous matches, guards and findings."""

from core.resolve.engine import ResolveSummary, resolve

__all__ = ["ResolveSummary", "resolve"]
