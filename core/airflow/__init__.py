"""The hub's Airflow corner: the only package in `core` that imports Airflow.

DAG files in `dags/` call `build_dags()`; every task is a thin call into the engine (the same
functions the CLI, the scenario runner and the tests call), so what Airflow runs is what was
tested.
"""
