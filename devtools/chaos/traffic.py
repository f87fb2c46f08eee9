"""The chaos run's traffic: the ingest API in this process, fed with every contact's
messages in the channels' vendor formats (devtools/simulator.py); a 503 while Temporal is
down is retried with the same provider message id, as a vendor retries a webhook. The desk
sets the pace: a new contact is sent only while fewer than ``max_working`` are being
worked, so a slow or shared machine is not buried under a backlog it would need far longer
to clear; the chaos events fire at shares of the contacts sent (faults.py), so they land
while the desk is busy.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import httpx
from temporalio.client import Client

from devtools.chaos.checks import ChaosChecks
from devtools.chaos.plan import _say
from devtools.chaos.rig import HOST
from devtools.demo_shop.contacts import DemoContact
from devtools.simulator import vendor_payload


class ChaosTraffic(ChaosChecks):
    """The contacts' messages into ingest; the pace comes from ``busy`` (checks.py), the
    same visibility count the run settles on."""

    async def watch_load(self, client: Client) -> None:
        """``self.working``: intakes running and contacts reading or acting, from visibility
        every second (the sender's back-pressure)."""
        while True:
            with contextlib.suppress(Exception):  # the server may be restarting
                self.working = await self.busy(client)
            await asyncio.sleep(1)

    async def send(self, traffic: list[DemoContact]) -> None:
        """Every contact's first message in order, at most one per ``traffic_s / contacts``
        and only while fewer than ``max_working`` are being worked (the desk sets the pace,
        so a slow or shared machine is not buried under a backlog); each follow-up its
        scaled hours after its contact's first message was accepted."""
        plan = self.plan
        scale = plan.time_scale
        self.figures.messages = sum(1 + len(c.follow_ups) for c in traffic)
        base = f"http://{HOST}:{self.settings.ingest_port}"
        interval = plan.traffic_s / max(1, plan.contacts)
        deadline = time.monotonic() + plan.time_limit_s * 0.7
        later: list[asyncio.Task[None]] = []
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            for _ in range(100):
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)

            async def post(message_id: str, parts: Any) -> bool:
                channel, sender, text, subject, attachments = parts
                path, kwargs = vendor_payload(
                    channel,
                    sender,
                    text,
                    subject,
                    attachments,
                    message_id,
                    settings=self.settings,
                    base_url=base,
                )
                delay = 0.5
                while time.monotonic() < deadline:
                    try:
                        response = await http.post(path, **kwargs)
                    except httpx.TransportError:
                        response = None
                    if response is not None and response.status_code == 202:
                        self.intake_ids[message_id] = response.json()["intake_workflow_id"]
                        self.figures.accepted += 1
                        return True
                    if response is not None and response.status_code not in (502, 503, 504):
                        self.send_problems.append(
                            f"{message_id}: ingest answered {response.status_code}"
                        )
                        return False
                    self.figures.ingest_retries += 1
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
                self.send_problems.append(f"{message_id}: never accepted by ingest")
                return False

            async def follow_up(after_s: float, message_id: str, parts: Any) -> None:
                await asyncio.sleep(after_s)
                await post(message_id, parts)

            for c in traffic:
                next_at = time.monotonic() + interval
                while self.working >= plan.max_working and time.monotonic() < deadline:
                    await asyncio.sleep(0.25)
                first = (c.channel, c.sender, c.text, c.subject, c.attachments)
                if await post(c.message_id, first):
                    self.working += 1  # until visibility catches up
                    for f in c.follow_ups:
                        parts = (f.channel, f.sender, f.text, None, f.attachments)
                        later.append(
                            asyncio.create_task(
                                follow_up(f.after_hours * 3600 * scale, f.message_id, parts)
                            )
                        )
                self.first_sent += 1
                if self.first_sent % 50 == 0:
                    _say(f"sent {self.first_sent}/{plan.contacts} contacts")
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            self.sending_done = True
            await asyncio.gather(*later)
        _say(
            f"sent {self.figures.accepted}/{self.figures.messages} messages "
            f"({self.figures.ingest_retries} retried after a 503 or a refused connection)"
        )
