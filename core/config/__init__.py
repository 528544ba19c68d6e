"""`hub.yaml`: connector instances, store, policies. Bad config fails naming file, line and field."""

from core.config.hub_config import HubConfig, InstanceConfig, load_hub_config

__all__ = ["HubConfig", "InstanceConfig", "load_hub_config"]
