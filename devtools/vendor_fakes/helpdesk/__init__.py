"""Zendesk Support and Gorgias, faked over a ``SandboxShop``: the endpoints the desk's
helpdesk adapters use, in the documented shapes, under ``/zendesk/api/v2/...`` and
``/gorgias/api/...``.

What reaches the shop: a *public* Zendesk comment or an outgoing Gorgias message on a
contact's ticket (``external_id`` ``desk:<contact id>``) becomes the sandbox's outbox row
through ``shop.send_reply``, and an internal note on a supervisors' ticket
(``desk-alerts:<contact id>``) a supervisor alert through ``shop.alert_supervisors``. The
row's key is the desk's key the comment or message carries (``metadata.custom.desk_key``,
or the message's ``external_id``), so the scenario runner's ledger reads the same keys as
with the sandbox's own Helpdesk. Like the real vendors the fakes never deduplicate: a
second comment with the same key is a second row, keyed ``<key>#dup2``.

Faithful where the adapters depend on it: HTTP Basic auth (401 without it), Zendesk's
``Idempotency-Key`` on ticket creation, its 422s (a closed ticket, the comment cap —
``comment_cap``, 5,000 by default), cursor pagination of audits and messages, the
``Retry-After`` 429s (Zendesk's plain-text body; Gorgias's leaky bucket of 40 per 20 s —
``gorgias_bucket`` — with ``X-Gorgias-Account-Api-Call-Limit``). ``inject`` makes the next
requests fail (before or, ``lost=True``, after doing the work) for the retry tests.

One vendor a module, each listing its endpoints:

| module | prefix |
| --- | --- |
| ``zendesk`` | ``/zendesk/api/v2`` |
| ``gorgias`` | ``/gorgias/api`` |

- ``common``: what they share: ``HelpdeskFakeBase`` (the shop, the clock, ids, injected
  failures, row keys), ``Injected``;
- ``routes``: ``HelpdeskFake`` (both vendors' state over one shop, their routes, auth and
  throttling; tests keep the object to inject failures and read what the vendors hold) and
  ``router``, its routes.
"""

from devtools.vendor_fakes.helpdesk.common import HelpdeskFakeBase, Injected
from devtools.vendor_fakes.helpdesk.gorgias import (
    GORGIAS_BUCKET,
    GORGIAS_WINDOW,
    GorgiasHandlers,
    GTicket,
)
from devtools.vendor_fakes.helpdesk.routes import HelpdeskFake, router
from devtools.vendor_fakes.helpdesk.zendesk import (
    ZENDESK_LIMIT_PER_MINUTE,
    ZendeskHandlers,
    ZTicket,
    ZUser,
)

__all__ = [
    "GORGIAS_BUCKET",
    "GORGIAS_WINDOW",
    "ZENDESK_LIMIT_PER_MINUTE",
    "GTicket",
    "GorgiasHandlers",
    "HelpdeskFake",
    "HelpdeskFakeBase",
    "Injected",
    "ZTicket",
    "ZUser",
    "ZendeskHandlers",
    "router",
]
