"""The hub registers its connection types with Airflow, so the UI shows proper forms for them."""

from __future__ import annotations

import pytest

from core.airflow.provider import CONNECTION_TYPES, get_provider_info


def test_provider_info_is_valid_for_airflow() -> None:
    import jsonschema
    from airflow._shared.providers_discovery import providers_discovery

    schema = providers_discovery._create_provider_info_schema_validator().schema  # type: ignore[attr-defined]
    jsonschema.validate(get_provider_info(), schema)


@pytest.mark.airflow
def test_every_hub_connection_type_is_registered_with_a_masked_secret_field() -> None:
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    assert "itsm-hub" in manager.providers
    hooks = manager.hooks
    for connection_type in CONNECTION_TYPES:
        name = connection_type["connection_type"]
        assert name in hooks, name
        assert "password" not in connection_type["hidden"], f"{name} hides its secret field"
