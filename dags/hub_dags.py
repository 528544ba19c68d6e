"""The ITSM hub's DAGs, built from hub.yaml (HUB_CONFIG). All logic lives in core/."""

from __future__ import annotations

from core.airflow.runtime import config_path
from core.config.hub_config import load_hub_config

from core.airflow.factory import build_dags  # isort: skip

globals().update(build_dags(load_hub_config(config_path())))
