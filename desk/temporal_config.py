"""Where Temporal is, by Temporal's own environment configuration (``temporalio.envconfig``:
``TEMPORAL_ADDRESS``, ``TEMPORAL_NAMESPACE``, ``TEMPORAL_API_KEY``, ``TEMPORAL_TLS*``,
profiles in a TOML file chosen with ``TEMPORAL_PROFILE`` / ``TEMPORAL_CONFIG_FILE``), with
the desk's ``DESK_TEMPORAL_*`` settings, where given, overriding it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from temporalio.client import TLSConfig
from temporalio.envconfig import ClientConfigProfile

from desk.config import ConfigError, Settings

DEFAULT_ADDRESS = "127.0.0.1:7233"
DEFAULT_NAMESPACE = "default"


def temporal_connect_config(
    settings: Settings, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Keyword arguments for ``Client.connect``: ``target_host``, ``namespace``, ``tls``,
    ``api_key`` (no data converter)."""
    try:
        profile = ClientConfigProfile.load(override_env_vars=env)
    except Exception as err:  # a malformed TOML file or TLS settings
        raise ConfigError(f"invalid Temporal environment configuration: {err}") from None
    config: dict[str, Any] = dict(profile.to_client_connect_config())
    given = settings.model_fields_set
    config["target_host"] = (
        settings.temporal_address
        if "temporal_address" in given or not config.get("target_host")
        else config["target_host"]
    ) or DEFAULT_ADDRESS
    if "temporal_namespace" in given or not config.get("namespace"):
        config["namespace"] = settings.temporal_namespace or DEFAULT_NAMESPACE
    if settings.temporal_api_key:
        config["api_key"] = settings.temporal_api_key
    if settings.temporal_tls_cert and settings.temporal_tls_key:
        config["tls"] = TLSConfig(
            client_cert=Path(settings.temporal_tls_cert).read_bytes(),
            client_private_key=Path(settings.temporal_tls_key).read_bytes(),
        )
    elif "temporal_tls" in given:
        config["tls"] = settings.temporal_tls
    return config


def temporal_address(settings: Settings) -> str:
    """The frontend the desk connects to."""
    return str(temporal_connect_config(settings)["target_host"])
