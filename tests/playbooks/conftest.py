"""One time-skipping test server per playbook test module."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from desk.binaries import find_binary
from desk.data_converter import DATA_CONVERTER
from desk.temporal_client import register_search_attributes
from tests.playbooks.kit import Desk


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_binary("temporal-test-server"),
        data_converter=DATA_CONVERTER,
    )
    async with env:
        await register_search_attributes(env.client)
        yield env


@pytest.fixture
def desk(server: WorkflowEnvironment) -> Desk:
    return Desk(server)
