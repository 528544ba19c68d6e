"""BambooHR: a declarative REST source. Everything is in `source.yaml` (the API) and `mapping.yaml`
(the canonical model); this file only makes the folder an importable package for the entry point."""
