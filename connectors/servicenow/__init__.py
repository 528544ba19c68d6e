"""ServiceNow ticket sink (Table API): incidents or catalog items with their tasks, exactly once."""
