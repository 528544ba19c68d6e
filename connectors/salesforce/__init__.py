"""Salesforce Service Cloud as a ticket sink: hub tickets become Cases, upserted on an external ID."""
