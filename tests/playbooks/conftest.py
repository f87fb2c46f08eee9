"""One time-skipping test server per playbook test module."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from devtools.test_server import start_test_server
from tests.playbooks.kit import Desk


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_test_server()
    async with env:
        yield env


@pytest.fixture
def desk(server: WorkflowEnvironment) -> Desk:
    return Desk(server)
