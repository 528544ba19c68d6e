"""The hub console: pages inside the Airflow 3 UI for the operators who watch the hub's DAGs.

An Airflow plugin (`plugin.py`) mounts a FastAPI app (`app.py`) at `/hub-console` and links it
in Airflow's navigation. Every page and action runs behind Airflow's own authentication
(`access.py`); the data comes from the same `core` functions the `hub` CLI prints.
"""
