"""The desk's worker: every workflow and activity on one task queue.

Thin on purpose: it wires ports into activities. Which ports (the sandbox shop or a
merchant's systems) is the caller's choice.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from pydantic import BaseModel, Field
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.authority import AuthorityActivities
from activities.carrier_search import CarrierSearchActivities
from activities.identity import IdentityActivities
from activities.lookup import LookupActivities
from activities.replies import ReplyActivities
from activities.resolution import ResolutionActivities
from activities.routing import RoutingActivities
from activities.tracing import TracingActivities
from activities.understanding import UnderstandingActivities
from desk.adapters.sandbox import SandboxShop
from desk.adapters.wiring import Ports
from desk.classifier import classify
from desk.classifier.llm import LocalClassify
from desk.config import ConfigError, PolicyConfig
from desk.supervisors import SupervisorRegistry
from workflows.contact import ContactWorkflow
from workflows.intake import IntakeWorkflow

WORKFLOWS = [IntakeWorkflow, ContactWorkflow]


# The desk's own workflow package. The fast sandbox takes it from the worker as it is; the
# strict one imports it afresh for every workflow run, with the sandbox's checks on.
OWN_WORKFLOW_PACKAGE = "workflows"
SANDBOX_VARIABLE = "DESK_WORKFLOW_SANDBOX"
Sandbox = Literal["fast", "strict"]


def sandbox_from_env() -> Sandbox:
    """``DESK_WORKFLOW_SANDBOX``: ``fast`` (unset: the default) or ``strict``. The test
    suite sets ``strict`` (tests/conftest.py), so CI runs every workflow under the
    sandbox's full checks while production workers skip re-importing the workflow code."""
    value = (os.environ.get(SANDBOX_VARIABLE) or "fast").strip().lower()
    if value not in ("fast", "strict"):
        raise ConfigError(
            f"{SANDBOX_VARIABLE}={value!r}: expected 'fast' or 'strict' (docs/performance.md)"
        )
    return "strict" if value == "strict" else "fast"


class WorkerTuning(BaseModel):
    """The worker's knobs (docs/performance.md measures them); the defaults are the SDK's
    but for the activity threads and the sandbox."""

    max_cached_workflows: int = Field(1000, ge=0, description="sticky cache, in workflows")
    max_concurrent_workflow_tasks: int | None = Field(None, ge=1)
    max_concurrent_activities: int | None = Field(None, ge=1)
    max_concurrent_local_activities: int | None = Field(None, ge=1)
    activity_threads: int = Field(16, ge=1, description="threads of the activity executor")
    sandbox: Sandbox = Field(
        default_factory=sandbox_from_env,
        description="fast: the workflow package is passed through the sandbox (imported "
        "once per worker); strict: imported again for every workflow run, so the sandbox "
        "also checks the workflow code itself at run time (what the tests use)",
    )
    passthrough_modules: list[str] = Field(
        default_factory=list,
        description="more modules the workflow sandbox takes from the worker as they are "
        "instead of importing them again for every workflow run",
    )

    def passed_through(self) -> list[str]:
        """Every module the sandbox takes from the worker beyond the SDK's defaults."""
        own = [OWN_WORKFLOW_PACKAGE] if self.sandbox == "fast" else []
        return own + [m for m in self.passthrough_modules if m not in own]

    def worker_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"max_cached_workflows": self.max_cached_workflows}
        if modules := self.passed_through():
            options["workflow_runner"] = SandboxedWorkflowRunner(
                restrictions=SandboxRestrictions.default.with_passthrough_modules(*modules)
            )
        for name in (
            "max_concurrent_workflow_tasks",
            "max_concurrent_activities",
            "max_concurrent_local_activities",
        ):
            if (value := getattr(self, name)) is not None:
                options[name] = value
        return options


def desk_activities(
    client: Client,
    shop: SandboxShop | Ports,
    task_queue: str,
    policy: PolicyConfig,
    classifier: LocalClassify = classify,
    supervisors: SupervisorRegistry | None = None,
) -> list[Callable[..., Any]]:
    """The activities over the given ports (a bare sandbox shop: every port on it)."""
    ports = shop if isinstance(shop, Ports) else Ports.sandbox(shop)
    understanding = UnderstandingActivities(classifier)
    lookup = LookupActivities(ports.orders, ports.helpdesk, policy.recent_order_days)
    tracing = TracingActivities(ports.carriers)
    search = CarrierSearchActivities(ports.carriers, ports.tasks)
    resolution = ResolutionActivities(ports.payments, ports.fulfilment, ports.orders)
    replies = ReplyActivities(ports.helpdesk)
    routing = RoutingActivities(client, task_queue, policy)
    identity = IdentityActivities(ports.orders, ports.helpdesk, ports.ledger, policy)
    authority = AuthorityActivities(supervisors or SupervisorRegistry())
    return [
        understanding.classify_message,
        lookup.match_sender,
        lookup.check_stock,
        lookup.get_order,
        lookup.record_claim,
        tracing.trace_shipment,
        search.file_carrier_search,
        resolution.issue_refund,
        resolution.create_replacement,
        resolution.cancel_order_lines,
        resolution.create_return_label,
        resolution.update_order_address,
        replies.send_reply,
        replies.alert_supervisors,
        replies.open_contact,
        replies.close_contact,
        routing.route_message,
        identity.register_unverified_attempt,
        identity.notify_owner,
        authority.authorize_decision,
    ]


def build_worker(
    client: Client,
    shop: SandboxShop | Ports,
    task_queue: str,
    policy: PolicyConfig,
    executor: ThreadPoolExecutor | None = None,
    classifier: LocalClassify = classify,
    supervisors: SupervisorRegistry | None = None,
    tuning: WorkerTuning | None = None,
) -> Worker:
    """The desk's worker. ``supervisors``: who may decide (none: every decision is refused);
    ``tuning``: cache and slots (default ``WorkerTuning()``)."""
    tuning = tuning or WorkerTuning()
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=desk_activities(client, shop, task_queue, policy, classifier, supervisors),
        activity_executor=executor or ThreadPoolExecutor(max_workers=tuning.activity_threads),
        **tuning.worker_options(),
    )
