"""TeamDynamix ticket sink (Web API): tickets with tasks, the key in a custom attribute."""
