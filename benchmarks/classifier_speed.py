"""Per-message cost of the desk's classifier (issue target: under 5 ms on this machine).

Runs every message of the shipped corpus through ``classify`` (model + rules + extraction)
and prints mean, p50, p99 and max in milliseconds; exits 1 if the mean is over budget.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from desk.classifier import classify
from devtools.classifier_training.evaluation import CORPUS_PATH

BUDGET_MS = 5.0


def main() -> int:
    rows = [json.loads(line) for line in Path(CORPUS_PATH).read_text().splitlines()]
    classify("warm up the model")  # the first call loads model.json
    times = []
    for row in rows:
        started = time.perf_counter()
        classify(row["text"], row.get("subject"))
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    mean = statistics.fmean(times)
    p50, p99 = times[len(times) // 2], times[int(len(times) * 0.99)]
    print(
        f"classify: {len(times)} messages, mean {mean:.2f} ms, p50 {p50:.2f} ms, "
        f"p99 {p99:.2f} ms, max {times[-1]:.2f} ms (budget {BUDGET_MS} ms mean)"
    )
    return 0 if mean <= BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
