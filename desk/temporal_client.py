"""One way to connect to Temporal, from settings: dev server, cluster or Temporal Cloud."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.converter import DataConverter
from temporalio.runtime import Runtime
from temporalio.service import RPCError, RPCStatusCode

from desk import search_attributes
from desk.config import Settings
from desk.data_converter import data_converter_for
from desk.temporal_config import temporal_connect_config


async def connect(
    settings: Settings,
    data_converter: DataConverter | None = None,
    *,
    runtime: Runtime | None = None,
) -> Client:
    """A client for ``settings`` (Temporal's environment configuration, ``DESK_TEMPORAL_*``
    overriding it), encrypting payloads with the settings' keys (``data_converter_for``)
    unless a data converter is given. With DESK_TRACING, OpenTelemetry's interceptor (which
    the worker on this client uses too); ``runtime``: one exporting metrics
    (``desk.observability.metrics_runtime``), for worker processes."""
    from desk.observability import tracing_interceptors

    config = temporal_connect_config(settings)
    target = config.pop("target_host")
    return await Client.connect(
        target,
        **config,
        data_converter=data_converter or data_converter_for(settings),
        interceptors=tracing_interceptors(settings),
        runtime=runtime,
    )


async def register_search_attributes(client: Client) -> None:
    """Add the desk's search attributes that the namespace does not have yet."""
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        have = set(existing.custom_attributes) | set(existing.system_attributes)
    except RPCError as err:
        # The time-skipping test server can add attributes but not list them.
        if err.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        have = set()
    wanted = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type.value)
        for key in search_attributes.ALL
        if key.name not in have
    }
    if wanted:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=wanted)
        )
