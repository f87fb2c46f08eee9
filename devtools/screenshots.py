"""``make screenshots``: the README's pictures, taken from a running desk with Chromium.

Starts the embedded Temporal dev server (with its UI and the desk's codec server), the
worker on a sandbox shop with a few scenario customers, and the console; sends each
customer's first message; then saves, in ``docs/screenshots/``:

- ``console-queue.png``: the console's queue, with the escalated contacts;
- ``console-contact.png``: one escalated contact's page in the console;
- ``console-phone.png``: the same page on a phone-sized screen;
- ``temporal-ui-contact.png``: that contact's workflow page in the Temporal UI (its summary
  and current details, decoded through the codec server).

Everything runs on free loopback ports in a temporary folder; nothing is left running.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright
from temporalio.client import Client

from console.accounts import Account, Accounts, hash_password
from console.app import create_app
from console.data import Scans
from console.settings import ConsoleSettings
from desk.adapters.sandbox import SandboxShop
from desk.config import PolicyConfig, Settings
from desk.data_converter import data_converter_for, load_keyring
from desk.models import ContactState, InboundMessage, SenderAuth
from desk.supervisors import Supervisor, SupervisorRegistry, new_key
from desk.temporal_client import connect
from devtools.chromium import LAUNCH_ARGS, find_chromium
from devtools.embedded_temporal import start_embedded_temporal
from devtools.intake import route
from devtools.net import free_port
from devtools.scenarios.format import load_scenario
from devtools.scenarios.loader import load_scenario_into
from starters.codec_server import codec_server_token, embedded_codec_server
from starters.serving import api_server
from workers.worker import build_worker
from workflows.contact import ContactWorkflow

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
TASK_QUEUE = "screenshots"
SUPERVISOR = Supervisor(id="sam@shop.example", role="lead", key=new_key())
PASSWORD = "screenshots-only"
# The contact shown, and others to fill the queue (and one the desk resolves itself).
SHOWN = "p3-over-limit-override"
OTHERS = [
    "p3-wrong-item-over-limit",
    "human-requested",
    "p3-over-limit-rejected",
    "dnr-misdelivered",
]


async def send(client: Client, scenario: str) -> str:
    first = load_scenario(ROOT / "scenarios" / f"{scenario}.yaml").messages[0]
    message = InboundMessage(
        message_id=f"{scenario}-{datetime.now(UTC).timestamp()}",
        channel=first.channel,
        sender=first.sender,
        subject=first.subject,
        text=first.text,
        auth=SenderAuth(method="scenario", authenticated=True, detail="screenshots"),
    )
    return (await route(client, message, TASK_QUEUE)).contact_id


async def settled(client: Client, contact: str, seconds: float = 120) -> ContactState:
    """The contact's state once it has stopped moving: escalated, resolved, or waiting."""
    deadline = asyncio.get_running_loop().time() + seconds
    state = ContactState.new
    while asyncio.get_running_loop().time() < deadline:
        snap = await client.get_workflow_handle(contact).query(ContactWorkflow.snapshot)
        state = snap.state
        if state not in (ContactState.new, ContactState.investigating):
            return state
        await asyncio.sleep(0.3)
    return state


async def listed(client: Client, contacts: list[str]) -> None:
    query = 'ContactState IN ("escalated", "human_owned")'
    for _ in range(100):
        found = {wf.id async for wf in client.list_workflows(query)}
        if set(contacts) <= found:
            return
        await asyncio.sleep(0.2)


async def console_pages(browser: Browser, url: str, contact: str) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 760})
    page = await context.new_page()
    await page.goto(url + "/login")
    await page.get_by_label("Account").fill(SUPERVISOR.id)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_selector("table.queue")
    await page.screenshot(path=str(OUT / "console-queue.png"), full_page=True)
    await page.goto(f"{url}/contacts/{contact}")
    await page.wait_for_selector("#state")
    await page.screenshot(path=str(OUT / "console-contact.png"), full_page=True)
    await context.close()
    phone = await browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    page = await phone.new_page()
    await page.goto(url + "/login")
    await page.get_by_label("Account").fill(SUPERVISOR.id)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.goto(f"{url}/contacts/{contact}")
    await page.wait_for_selector("#state")
    await page.screenshot(path=str(OUT / "console-phone.png"))
    await phone.close()


async def temporal_ui_page(
    browser: Browser, ui_url: str, codec_url: str, token: str, contact: str
) -> None:
    context = await browser.new_context(viewport={"width": 1440, "height": 1000})
    page: Page = await context.new_page()
    # The codec server's sign-in (an HttpOnly cookie), then the UI told to send it along.
    await page.goto(f"{codec_url}/login?token={token}")
    await page.goto(ui_url)
    # The UI's own codec settings (its localStorage): this endpoint, with the cookie.
    await page.evaluate(
        """(endpoint) => {
            localStorage.setItem('endpoint', JSON.stringify(endpoint));
            localStorage.setItem('includeCredentials', 'true');
            localStorage.setItem('passAccessToken', 'false');
            localStorage.setItem('overrideRemoteCodecConfiguration', 'true');
        }""",
        codec_url,
    )
    await page.goto(f"{ui_url}/namespaces/default/workflows/{contact}")
    # The contact's summary and current details (markdown) are under "User Metadata",
    # each drawn in a sandboxed frame: wait for the details to say it.
    await page.get_by_role("tab", name="User Metadata").click()
    await page.get_by_text("Current Details").first.wait_for(timeout=30_000)
    for _ in range(60):
        texts = [await f.locator("body").inner_text() for f in page.frames[1:]]
        if any("SLA due" in t for t in texts):
            break
        await page.wait_for_timeout(500)
    else:
        raise RuntimeError("the UI showed no contact details (is the codec server up?)")
    await page.wait_for_timeout(2500)  # the UI fills in its panels one request at a time
    await page.screenshot(path=str(OUT / "temporal-ui-contact.png"), full_page=False)
    await context.close()


async def main() -> int:
    chromium = find_chromium()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="desk-screenshots-") as tmp:
        port = free_port()
        settings = Settings(
            data_dir=str(Path(tmp) / "data"),
            temporal_port=port,
            temporal_address=f"127.0.0.1:{port}",
            ui_port=free_port(),
            codec_server_port=free_port(),
        )
        Path(settings.data_dir).mkdir(parents=True)
        keyring = load_keyring(settings)
        converter = data_converter_for(settings)
        codec_server, codec_url = embedded_codec_server(settings, keyring)
        assert codec_server is not None and codec_url is not None
        token = codec_server_token(settings, keyring)
        shop = SandboxShop(f"sqlite:///{Path(tmp) / 'shop.db'}")
        shop.create_all()
        now = datetime.now(UTC)
        for name in [SHOWN, *OTHERS]:
            load_scenario_into(shop, load_scenario(ROOT / "scenarios" / f"{name}.yaml"), now)
        registry = SupervisorRegistry(supervisors=[SUPERVISOR])
        accounts = Accounts(accounts=[Account(id=SUPERVISOR.id, password=hash_password(PASSWORD))])
        console = ConsoleSettings(port=free_port())
        async with start_embedded_temporal(
            settings, codec_endpoint=codec_url, data_converter=converter
        ) as temporal:
            client = await connect(temporal.settings, converter)
            app = create_app(client, console, accounts, registry, Scans(shop, shop))
            server = api_server(app, "127.0.0.1", console.port)
            server.config.timeout_graceful_shutdown = 1
            worker = build_worker(client, shop, TASK_QUEUE, PolicyConfig(), supervisors=registry)
            parts = [
                asyncio.create_task(worker.run()),
                asyncio.create_task(server.serve()),
                asyncio.create_task(codec_server.serve()),
            ]
            try:
                contacts = {name: await send(client, name) for name in [SHOWN, *OTHERS]}
                states = {n: await settled(client, c) for n, c in contacts.items()}
                print(f"contacts: {states}", file=sys.stderr)
                await listed(
                    client, [c for n, c in contacts.items() if states[n] == ContactState.escalated]
                )
                while not (server.started and codec_server.started):
                    await asyncio.sleep(0.05)
                async with async_playwright() as pw:
                    browser = await pw.chromium.launch(
                        executable_path=chromium, headless=True, args=LAUNCH_ARGS
                    )
                    await console_pages(
                        browser, f"http://127.0.0.1:{console.port}", contacts[SHOWN]
                    )
                    await temporal_ui_page(
                        browser,
                        f"http://127.0.0.1:{settings.ui_port}",
                        codec_url,
                        token,
                        contacts[SHOWN],
                    )
                    await browser.close()
            finally:
                server.should_exit = True
                codec_server.should_exit = True
                await worker.shutdown()
                await asyncio.gather(*parts, return_exceptions=True)
        shop.close()
    for name in ("console-queue", "console-contact", "console-phone", "temporal-ui-contact"):
        print(OUT / f"{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
