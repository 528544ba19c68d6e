"""Tickets: the built-in sink, the outbox that delivers to any sink exactly once, status sync."""
