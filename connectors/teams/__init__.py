"""Microsoft Teams notifications: Adaptive Cards posted to a channel through a Workflows webhook."""
