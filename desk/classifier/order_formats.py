"""The shop's own order-number formats, from configuration.

The built-in extractor knows numeric order numbers ("#48221", "order 48221"). A shop whose
numbers look different ("SO-10442", "W123456789") lists regular expressions in
``DESK_ORDER_NUMBER_FORMATS``; what they match is added to the message's order numbers,
as written (or the first group, when the pattern has one).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from desk.classifier.llm import LocalClassify
from desk.models import Attachment, Understanding


class OrderNumberFormats:
    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = [
            re.compile(rf"(?<![\w-])(?:{p})(?![\w-])", re.IGNORECASE) for p in patterns
        ]

    def find(self, text: str) -> list[str]:
        found: list[tuple[int, str]] = []
        for pattern in self.patterns:
            for m in pattern.finditer(text):
                found.append((m.start(), (m.group(1) if pattern.groups else m.group(0)).upper()))
        return list(dict.fromkeys(number for _, number in sorted(found)))

    def around(self, classify: LocalClassify) -> LocalClassify:
        def read(
            text: str, subject: str | None = None, attachments: list[Attachment] | None = None
        ) -> Understanding:
            u = classify(text, subject, attachments)
            extra = self.find(f"{subject or ''}\n{text}")
            merged = list(dict.fromkeys([*extra, *u.order_numbers]))
            return u.model_copy(update={"order_numbers": merged}) if extra else u

        return read
