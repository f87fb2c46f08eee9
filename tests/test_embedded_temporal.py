"""The embedded dev server: starts on a SQLite file, registers the desk's search
attributes, and keeps contacts across a restart."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, cast

import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import WorkflowExecutionStatus
from temporalio.common import SearchAttributeKey

from desk import search_attributes
from desk.config import Settings
from desk.temporal_client import connect
from devtools.embedded_temporal import (
    EmbeddedTemporal,
    EmbeddedTemporalError,
    start_embedded_temporal,
)
from devtools.net import free_port

DESK_KEYS = cast(list[SearchAttributeKey[Any]], search_attributes.ALL)


def embedded_settings(data_dir: Path) -> Settings:
    port = free_port()
    return Settings(
        data_dir=str(data_dir / "data"),
        temporal_port=port,
        temporal_address=f"127.0.0.1:{port}",
        ui_port=free_port(),
    )


async def test_starts_registers_and_survives_restart(tmp_path: Path) -> None:
    settings = embedded_settings(tmp_path)
    async with start_embedded_temporal(settings) as temporal:
        assert (tmp_path / "data" / "temporal.db").is_file()
        client = await connect(temporal.settings)
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace="default")
        )
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace="default")
        )
        for key in DESK_KEYS:
            assert key.name in listed.custom_attributes, key.name
            assert listed.custom_attributes[key.name] == IndexedValueType.ValueType(
                key.indexed_value_type.value
            )
        # No worker: the start alone is what must survive the restart.
        handle = await client.start_workflow(
            "IntakeWorkflow", "kept", id="survives-restart", task_queue="no-worker-here"
        )
        run_id = handle.result_run_id
    assert not temporal.running

    async with start_embedded_temporal(settings) as temporal:
        client = await connect(temporal.settings)
        description = await client.get_workflow_handle("survives-restart").describe()
        assert description.run_id == run_id
        assert description.status == WorkflowExecutionStatus.RUNNING
        assert description.workflow_type == "IntakeWorkflow"


async def test_registers_attributes_the_db_lacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As for a db file from before an attribute existed: the flags add nothing, so the
    registration after start must."""
    monkeypatch.setattr(search_attributes, "cli_flags", lambda: [])
    async with start_embedded_temporal(embedded_settings(tmp_path)) as temporal:
        assert "--search-attribute" not in temporal.command()
        client = await connect(temporal.settings)
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace="default")
        )
        assert {key.name for key in DESK_KEYS} <= set(listed.custom_attributes)


async def test_await_form_and_stop(tmp_path: Path) -> None:
    settings = embedded_settings(tmp_path)
    temporal = await start_embedded_temporal(settings)
    try:
        assert temporal.running
        assert temporal.address == f"127.0.0.1:{settings.temporal_port}"
    finally:
        await temporal.stop()
    assert not temporal.running
    await temporal.stop()  # idempotent


async def test_port_taken_fails_plainly(tmp_path: Path) -> None:
    settings = embedded_settings(tmp_path)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", settings.temporal_port))
        squatter.listen()
        with pytest.raises(EmbeddedTemporalError, match="already in use"):
            await start_embedded_temporal(settings)


async def test_early_exit_reports_output(tmp_path: Path) -> None:
    fake = tmp_path / "temporal"
    fake.write_text("#!/bin/sh\necho 'boom: cannot open db' >&2\nexit 3\n")
    fake.chmod(0o755)
    temporal = EmbeddedTemporal(embedded_settings(tmp_path), binary=str(fake), startup_timeout=10)
    with pytest.raises(EmbeddedTemporalError, match=r"(?s)code 3.*boom: cannot open db"):
        await temporal.start()
    assert not temporal.running
