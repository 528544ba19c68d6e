"""One package per external system. Each reads (sources) or writes tickets (sinks) and knows its
API only; mappings in `mappings/` turn its records into the canonical model."""
