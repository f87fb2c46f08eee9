"""What real messages make the desk do, end to end: the share of messages that cause a
refund, a reship, a cancellation or an address change their request does not call for.

Every labelled message is sent, through the real intake and contact workflows on the
time-skipping server, from a verified customer with one order, once for each state that
order can be in (not shipped, with the carrier, delivered with weak proof). Thirty days of
workflow time later the shop's ledger says what was done. An action is called for when the
message's label asks for it and the order's facts allow it:

- a refund or reship: a not-received, wrong-item or damaged-item message on a delivered
  order (or a parcel the carrier lost);
- a cancellation (and its refund): a cancel message on an order not yet shipped;
- an address change: a change-address message on an order not yet shipped.

Anything else the ledger shows is an unwanted action. ``desk eval actions`` prints the
report; it takes a few minutes, so it is an evaluation, not a test.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from desk.adapters.sandbox import SandboxShop
from desk.config import PolicyConfig
from desk.models import (
    Channel,
    InboundMessage,
    Intent,
    SenderAuth,
)
from desk.routing import INTAKE_WORKFLOW, intake_workflow_id
from devtools.scenarios.format import (
    Scenario,
    ScenarioAddress,
    ScenarioCustomer,
    ScenarioEvent,
    ScenarioLine,
    ScenarioOrder,
    ScenarioShipment,
)
from devtools.scenarios.loader import load_scenario_into
from devtools.test_server import start_test_server
from workers.worker import build_worker

STATES = ("not_shipped", "in_transit", "delivered")
_QUEUE = "action-eval"
_SETTLE = timedelta(days=30)
_STEP = timedelta(hours=6)
_AUTHENTICATED = SenderAuth(method="scenario", authenticated=True, detail="action eval")


@dataclass(frozen=True)
class Labelled:
    text: str
    intent: Intent


@dataclass
class ActionReport:
    messages: int = 0
    runs: int = 0
    unwanted: list[tuple[str, str, Intent, list[str]]] = field(default_factory=list)
    wanted: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def unwanted_rate(self) -> float:
        return len(self.unwanted) / self.runs if self.runs else 0.0


def _order(i: int, state: str) -> ScenarioOrder:
    events = []
    expected = timedelta(days=2)
    if state != "not_shipped":
        events.append(
            ScenarioEvent(at=-timedelta(days=3), status="accepted", description="Picked up")
        )
        expected = timedelta(days=1)
    if state == "in_transit":  # a parcel that arrives as expected, with a photo
        events.append(
            ScenarioEvent(
                at=timedelta(days=1), status="delivered", description="Delivered", photo=True
            )
        )
    if state == "delivered":
        events.append(
            ScenarioEvent(
                at=-timedelta(days=1), status="delivered", description="Delivered, In/At Mailbox"
            )
        )
        expected = -timedelta(days=1)
    return ScenarioOrder(
        number=f"77{i:05d}",
        customer=f"C-E{i}",
        placed=-timedelta(days=4 if state != "not_shipped" else 0.5),
        status="unfulfilled" if state == "not_shipped" else "fulfilled",
        shipping_cost=5.0,
        address=ScenarioAddress(
            line1="1 Eval St", city="Austin", region="TX", postal_code="78701", country="US"
        ),
        lines=[ScenarioLine(sku="EVAL-ITEM", name="Desk lamp", qty=1, unit_price=40.0)],
        shipments=[]
        if state == "not_shipped"
        else [
            ScenarioShipment(
                carrier="ups",
                tracking=f"1ZEVAL{i:010d}",
                expected_delivery=expected,
                events=events,
            )
        ],
    )


def called_for(intent: Intent, state: str) -> set[str]:
    """The actions a message with this label may cause on an order in this state (the
    in-transit parcel arrives a day later, with a photo)."""
    if intent in (Intent.delivered_not_received, Intent.wrong_item, Intent.damaged_item):
        return {"refund", "reship"} if state == "delivered" else set()
    if intent == Intent.cancel_order:
        return {"cancel_lines", "refund"} if state == "not_shipped" else set()
    if intent == Intent.change_address:
        return {"update_address"} if state == "not_shipped" else set()
    return set()


async def evaluate_actions(
    messages: list[Labelled], states: tuple[str, ...] = STATES, jobs: int = 32
) -> ActionReport:
    started = time.monotonic()
    runs = [(m, s) for m in messages for s in states]
    # A shop only (no scripted messages: they come from the labelled set).
    scenario = Scenario.model_construct(
        name="action-eval",
        customers=[
            ScenarioCustomer(
                id=f"C-E{i}", name="Eval Customer", tier="standard", email=f"e{i}@eval.example"
            )
            for i in range(len(runs))
        ],
        orders=[_order(i, state) for i, (_, state) in enumerate(runs)],
        inventory={"EVAL-ITEM": 100_000},
        messages=[],
    )
    report = ActionReport(messages=len(messages), runs=len(runs))
    with tempfile.TemporaryDirectory(prefix="desk-action-eval-") as tmp:
        shop = SandboxShop(f"sqlite:///{Path(tmp) / 'shop.db'}")
        shop.create_all()
        env = await start_test_server()
        async with env:
            t0 = await env.get_current_time()
            load_scenario_into(shop, scenario, t0)
            async with build_worker(env.client, shop, _QUEUE, PolicyConfig()):
                gate = asyncio.Semaphore(jobs)

                async def send(i: int, text: str) -> None:
                    message = InboundMessage(
                        message_id=f"eval-{i}",
                        channel=Channel.email,
                        sender=f"e{i}@eval.example",
                        text=text,
                        auth=_AUTHENTICATED,
                    )
                    async with gate:
                        await env.client.start_workflow(
                            INTAKE_WORKFLOW,
                            message,
                            id=intake_workflow_id(message),
                            task_queue=_QUEUE,
                        )

                await asyncio.gather(*(send(i, m.text) for i, (m, _) in enumerate(runs)))
                await asyncio.sleep(2)  # let intake and the first steps run before time jumps
                # In steps: one long skip makes the server fire every contact's timers inside
                # one call, which then outlasts the client's deadline.
                elapsed = timedelta(0)
                while elapsed < _SETTLE:
                    await env.sleep(_STEP)
                    elapsed += _STEP
                    await asyncio.sleep(0.2)
        done: dict[str, list[str]] = {}
        for refund in shop.refunds():
            done.setdefault(refund.order_number, []).append("refund")
        for replacement in shop.replacements():
            done.setdefault(replacement.original_order, []).append("reship")
        for number, kind in shop.order_changes():
            done.setdefault(number, []).append(kind)
        shop.close()
    for i, (message, state) in enumerate(runs):
        actions = done.get(f"77{i:05d}", [])
        allowed = called_for(message.intent, state)
        extra = [a for a in actions if a not in allowed]
        report.wanted.update(a for a in actions if a in allowed)
        if extra:
            report.unwanted.append((message.text, state, message.intent, extra))
    report.seconds = time.monotonic() - started
    return report


def format_report(report: ActionReport) -> str:
    lines = [
        f"messages {report.messages} x {len(STATES)} order states = {report.runs} contacts "
        f"({report.seconds:.0f} s)",
        f"unwanted actions: {len(report.unwanted)} of {report.runs} "
        f"({report.unwanted_rate:.2%}; target at most 0.5%)",
        f"actions called for: {dict(report.wanted) or 'none'}",
    ]
    for text, state, intent, extra in report.unwanted[:25]:
        lines.append(f"  {', '.join(extra)} on {state} (label {intent.value}): {text[:120]!r}")
    return "\n".join(lines)


def labelled_set(which: str) -> list[Labelled]:
    """The held-out messages of the real set and/or the synthetic corpus."""
    from devtools.classifier_training import real
    from devtools.classifier_training.corpus import CORPUS_PATH

    chosen: list[Labelled] = []
    if which in ("real", "both") and (found := real.path()) is not None:
        chosen += _held_out(found)
    if which in ("synthetic", "both"):
        chosen += _held_out(CORPUS_PATH)
    return chosen


def _held_out(path: Path) -> list[Labelled]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [
        Labelled(text=r["text"], intent=Intent(r["intent"]))
        for r in rows
        if r.get("split") == "test"
    ]


async def evaluate_in_batches(messages: list[Labelled], batch: int = 60) -> ActionReport:
    """In batches, each on a server of its own: one time-skipping server with many hundred
    contacts firing timers at once gives out."""
    total = ActionReport()
    for start in range(0, len(messages), batch):
        part = await evaluate_actions(messages[start : start + batch])
        total.messages += part.messages
        total.runs += part.runs
        total.unwanted += part.unwanted
        total.wanted.update(part.wanted)
        total.seconds += part.seconds
    return total


async def run_action_eval(which: str = "real") -> int:
    messages = labelled_set(which)
    if not messages:
        print(f"desk: no {which} messages to send (is the real set in place?)", file=sys.stderr)
        return 2
    print(format_report(await evaluate_in_batches(messages)))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(run_action_eval(sys.argv[1] if len(sys.argv) > 1 else "real")))
