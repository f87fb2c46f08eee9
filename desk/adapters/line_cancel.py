"""Which lines ``OrderSystem.cancel_lines`` cancels: one rule for every order system the
desk drives itself (the sandbox shop, Shopify, the tests' memory shop)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol, TypeVar

from desk.ports import Conflict


class OrderLineState(Protocol):
    @property
    def sku(self) -> str: ...

    @property
    def cancelled(self) -> bool: ...


Line = TypeVar("Line", bound=OrderLineState)


def lines_to_cancel(
    order_number: str, lines: Sequence[Line], shipped: Collection[str], skus: list[str]
) -> list[Line]:
    """The named lines still open (none named: every open line not shipped). ``Conflict``
    for a line the order does not have, or one that has shipped; cancelling nothing but
    shipped lines is a conflict too, so the desk never reports a cancel that did nothing."""
    open_lines = [line for line in lines if not line.cancelled]
    if skus:
        unknown = sorted(set(skus) - {line.sku for line in lines})
        if unknown:
            raise Conflict(f"order {order_number} has no line {unknown[0]}")
        targets = [line for line in open_lines if line.sku in skus]
        for line in targets:
            if line.sku in shipped:
                raise Conflict(f"order {order_number} line {line.sku} has shipped")
        return targets
    targets = [line for line in open_lines if line.sku not in shipped]
    if not targets and open_lines:
        raise Conflict(f"order {order_number} line {open_lines[0].sku} has shipped")
    return targets
