"""`make demo`: the whole pipeline through Airflow against the bundled sandbox tenants."""
