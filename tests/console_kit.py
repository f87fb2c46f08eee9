"""A desk for the console's tests: Temporal's dev server (visibility needs it), the real
worker on a sandbox shop with scenario customers, and the console served by uvicorn on a
free loopback port, all on the test's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from console.accounts import hash_password, load_accounts
from console.app import create_app
from console.data import Scans
from console.settings import ConsoleSettings
from desk import search_attributes as sa
from desk.adapters.sandbox import SandboxShop
from desk.binaries import find_binary
from desk.config import PolicyConfig
from desk.data_converter import DATA_CONVERTER
from desk.models import ContactSnapshot, ContactState, InboundMessage, SenderAuth
from desk.supervisors import Supervisor, SupervisorRegistry, new_key
from devtools.intake import route
from devtools.net import free_port
from devtools.scenarios.format import load_scenario
from devtools.scenarios.loader import load_scenario_into
from tests.waiting import until
from workers.worker import build_worker
from workflows.contact import ContactWorkflow

ROOT = Path(__file__).resolve().parents[1]
TASK_QUEUE = "console"
# Kim may move 5000 per decision, Sam (an agent) 100: a 229.00 reship is beyond Sam.
KIM = Supervisor(id="kim@shop.example", role="manager", key=new_key())
SAM = Supervisor(id="sam@shop.example", role="agent", key=new_key())
REGISTRY = SupervisorRegistry(supervisors=[KIM, SAM])
PASSWORDS = {KIM.id: "kim-password-1", SAM.id: "sam-password-1"}
# Wrong item, reship 229.00 over the standard customer's limit of 200: escalated over_limit.
OVER_LIMIT = "p3-wrong-item-over-limit"


def accounts_file(folder: Path, extra: dict[str, str | None] | None = None) -> Path:
    """Kim's and Sam's accounts, and ``extra`` ones (id: password, None for none)."""
    path = folder / "console-accounts.yaml"
    lines = ["accounts:"]
    for who, password in {**PASSWORDS, **(extra or {})}.items():
        hashed = f", password: '{hash_password(password)}'" if password else ""
        lines.append(f"  - {{id: {who}{hashed}}}")
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class ConsoleDesk:
    env: WorkflowEnvironment
    shop: SandboxShop
    url: str
    app: FastAPI
    contacts: dict[str, str] = field(default_factory=dict)  # scenario -> contact id

    async def send(self, scenario: str) -> str:
        """The scenario's first message from its (authenticated) customer; the contact id."""
        first = load_scenario(ROOT / "scenarios" / f"{scenario}.yaml").messages[0]
        message = InboundMessage(
            message_id=f"{scenario}-{datetime.now(UTC).timestamp()}",
            channel=first.channel,
            sender=first.sender,
            subject=first.subject,
            text=first.text,
            auth=SenderAuth(method="scenario", authenticated=True, detail="console test"),
        )
        contact = (await route(self.env.client, message, TASK_QUEUE)).contact_id
        self.contacts[scenario] = contact
        return contact

    async def snapshot(self, contact_id: str) -> ContactSnapshot:
        return await self.env.client.get_workflow_handle(contact_id).query(ContactWorkflow.snapshot)

    async def reaches(self, contact_id: str, state: ContactState, seconds: float = 60) -> None:
        async def there() -> bool:
            return (await self.snapshot(contact_id)).state == state

        await until(there, seconds)

    async def listed(self, contact_id: str, query: str, seconds: float = 30) -> None:
        async def found() -> bool:
            return any([wf.id == contact_id async for wf in self.env.client.list_workflows(query)])

        await until(found, seconds)


@asynccontextmanager
async def console_desk(
    folder: Path,
    scenarios: list[str],
    settings: dict[str, object] | None = None,
    extra_accounts: dict[str, str | None] | None = None,
) -> AsyncIterator[ConsoleDesk]:
    shop = SandboxShop(f"sqlite:///{folder / 'shop.db'}")
    shop.create_all()
    now = datetime.now(UTC)
    for name in scenarios:
        load_scenario_into(shop, load_scenario(ROOT / "scenarios" / f"{name}.yaml"), now)
    console_settings = ConsoleSettings(
        port=free_port(),
        accounts_file=str(accounts_file(folder, extra_accounts)),
        refresh_seconds=0.5,
        **(settings or {}),  # type: ignore[arg-type]
    )
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=find_binary("temporal"),
        data_converter=DATA_CONVERTER,
        ip="127.0.0.1",
        search_attributes=sa.ALL,
    ) as env:
        app = create_app(
            env.client,
            console_settings,
            load_accounts(console_settings.accounts_file),
            REGISTRY,
            scans=Scans(shop, shop),
        )
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=console_settings.port,
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        async with build_worker(env.client, shop, TASK_QUEUE, PolicyConfig(), supervisors=REGISTRY):
            serving = asyncio.create_task(server.serve())
            try:
                while not server.started:
                    if serving.done():
                        serving.result()
                    await asyncio.sleep(0.05)
                yield ConsoleDesk(env, shop, f"http://127.0.0.1:{console_settings.port}", app)
            finally:
                server.should_exit = True
                await asyncio.wait_for(serving, timeout=10)
    shop.close()
