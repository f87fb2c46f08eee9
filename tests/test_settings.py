"""Settings come from DESK_* variables through pydantic-settings, and Temporal's own
environment configuration (TEMPORAL_*, a TOML profile) says where Temporal is unless a
DESK_TEMPORAL_* setting overrides it."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk.config import ConfigError, Settings
from desk.temporal_config import temporal_connect_config


def test_desk_variables_are_read_and_an_empty_one_counts_as_unset() -> None:
    s = Settings.from_env({"DESK_INGEST_PORT": "9100", "DESK_TASK_QUEUE": "", "OTHER": "x"})
    assert s.ingest_port == 9100 and s.task_queue == "contact-desk"


def test_a_bad_variable_is_named() -> None:
    with pytest.raises(ConfigError, match="DESK_INGEST_PORT"):
        Settings.from_env({"DESK_INGEST_PORT": "eighty"})
    with pytest.raises(ConfigError, match="DESK_ORDER_NUMBER_FORMATS must be a JSON list"):
        Settings.from_env({"DESK_ORDER_NUMBER_FORMATS": "SO-1,SO-2"})


def test_temporals_own_environment_says_where_temporal_is() -> None:
    env = {"TEMPORAL_ADDRESS": "temporal.internal:7233", "TEMPORAL_NAMESPACE": "shop-prod"}
    config = temporal_connect_config(Settings.from_env({}), env)
    assert (config["target_host"], config["namespace"]) == ("temporal.internal:7233", "shop-prod")
    # A DESK_TEMPORAL_* setting, where given, wins.
    desk = Settings.from_env({"DESK_TEMPORAL_ADDRESS": "127.0.0.1:7299"})
    assert temporal_connect_config(desk, env)["target_host"] == "127.0.0.1:7299"
    assert temporal_connect_config(desk, env)["namespace"] == "shop-prod"


def test_a_toml_profile_and_an_api_key(tmp_path: Path) -> None:
    toml = tmp_path / "temporal.toml"
    toml.write_text(
        '[profile.prod]\naddress = "acme.a1b2c.tmprl.cloud:7233"\nnamespace = "acme.a1b2c"\n'
        'api_key = "tok-123"\n'
    )
    env = {"TEMPORAL_CONFIG_FILE": str(toml), "TEMPORAL_PROFILE": "prod"}
    config = temporal_connect_config(Settings.from_env({}), env)
    assert config["target_host"] == "acme.a1b2c.tmprl.cloud:7233"
    assert config["namespace"] == "acme.a1b2c" and config["api_key"] == "tok-123"
    assert config.get("tls")  # Temporal Cloud with an API key uses TLS


def test_nothing_configured_is_the_local_dev_server() -> None:
    config = temporal_connect_config(Settings.from_env({}), {})
    assert (config["target_host"], config["namespace"]) == ("127.0.0.1:7233", "default")
