"""Running a stream: read → map → stage with its state → finish the snapshot → ledger."""

from core.sync.runner import RunSummary, sync_instance, sync_stream

__all__ = ["RunSummary", "sync_instance", "sync_stream"]
