"""`hub connector new`: write a connector package that works at once (see `writer`)."""
