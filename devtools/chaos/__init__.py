"""``make chaos``: contacts through the embedded desk while its parts are knocked over.

500 contacts through the embedded desk while the workers are SIGKILLed, the dev server
restarted and the shop database refused; then nothing may be lost and no side effect
happen twice (docs/chaos.md). One module per concern:

- ``plan``: ``ChaosPlan`` (contacts, faults, time limit) and ``Figures`` (what is counted);
- ``rig``: the parts on loopback: the worker processes (``WorkerProcess``), one run's
  settings and environment (``ChaosRig``), the PostgreSQL shop's proxy (``TcpProxy``);
- ``faults``: the SIGKILLs, server restarts and shop outages, and when each fires;
- ``traffic``: every contact's messages into ingest, at the pace the desk sets;
- ``checks``: lost and duplicated, from the workflows and the ledger (``ok``);
- ``report``: the figures as printed (``render``);
- ``run``: ``ChaosRun`` (all of the above put together) and ``run_chaos``;
- ``__main__``: ``python -m devtools.chaos`` (arguments and exit code).

The worker the run kills is devtools/chaos_worker.py; its contacts come from
devtools/chaos_traffic.py.
"""

from __future__ import annotations

from devtools.chaos.checks import _ledger_check, ok
from devtools.chaos.plan import ChaosPlan, Figures
from devtools.chaos.report import render
from devtools.chaos.run import ChaosRun, run_chaos

__all__ = ["ChaosPlan", "ChaosRun", "Figures", "_ledger_check", "ok", "render", "run_chaos"]
