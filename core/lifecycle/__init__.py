"""Lifecycle: joiner / mover / leaver events from the change log, playbooks, tickets exactly once."""
