"""The hub's engine: contracts, HTTP, mapping, store, resolution, lifecycle, tickets, runs and CLI.

Nothing in `core` imports a connector or Airflow (except the small `core.airflow` corner), so the
engine runs the same from the CLI, the tests and a DAG.
"""
