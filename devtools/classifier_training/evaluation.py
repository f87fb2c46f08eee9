"""How well a predictor reads held-out messages: accuracy, per-intent P/R/F1, confusion,
calibration, and the confident errors (wrong at or above the acting threshold).

Two sets: the synthetic corpus's held-out templates (`corpus/messages.jsonl`, split
"test") and the held-out part of the real-language set (`real.py`: customers' own words
from public sources, labelled by hand; present only where its file has been placed).

    from devtools.classifier_training.evaluation import evaluate, format_report
    from desk.classifier.model import predict
    print(format_report(evaluate(predict)))
    print(format_report(evaluate(predict, rows=real.load(split="test"))))

    python -m devtools.classifier_training.evaluation  # every predictor, both sets

`predict_fn(text, subject)` returns `(intent, confidence, ...)`; only the first two are read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desk.models import Intent

from .corpus import CORPUS_PATH

PredictFn = Callable[[str, str | None], Sequence[Any]]

MIN_INTENT_CONFIDENCE = 0.6  # POLICY.md: below this the desk escalates as unclear
BINS = 10
INTENTS: tuple[Intent, ...] = tuple(Intent)


@dataclass(frozen=True, slots=True)
class IntentMetrics:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class CalibrationBin:
    low: float
    high: float
    count: int
    mean_confidence: float
    accuracy: float


@dataclass(frozen=True, slots=True)
class EvalReport:
    n: int
    accuracy: float
    per_intent: dict[Intent, IntentMetrics]
    # confusion[true][predicted]
    confusion: dict[Intent, dict[Intent, int]]
    calibration: list[CalibrationBin]
    ece: float
    under_threshold_rate: float
    threshold: float = MIN_INTENT_CONFIDENCE
    errors: list[tuple[str, Intent, Intent, float]] = field(default_factory=list)

    @property
    def confident_errors(self) -> list[tuple[str, Intent, Intent, float]]:
        """Wrong at or above the acting threshold: what the desk would act on wrongly."""
        return [e for e in self.errors if e[3] >= self.threshold]

    @property
    def confident_error_rate(self) -> float:
        return len(self.confident_errors) / self.n if self.n else 0.0


def _load_test(path: Path) -> list[dict[str, str]]:
    from .corpus.generate import load

    return load(path, split="test")


def evaluate(
    predict_fn: PredictFn,
    path: Path = CORPUS_PATH,
    threshold: float = MIN_INTENT_CONFIDENCE,
    rows: Sequence[dict[str, Any]] | None = None,
) -> EvalReport:
    """`predict_fn` scored on `rows` (each with "text", "intent", maybe "subject"), by
    default the synthetic corpus's test split."""
    if rows is None:
        rows = _load_test(path)
    confusion = {t: dict.fromkeys(INTENTS, 0) for t in INTENTS}
    confs: list[tuple[float, bool]] = []
    errors: list[tuple[str, Intent, Intent, float]] = []
    for r in rows:
        result = predict_fn(r["text"], r.get("subject"))
        pred, conf = Intent(result[0]), float(result[1])
        true = Intent(r["intent"])
        confusion[true][pred] += 1
        confs.append((conf, pred == true))
        if pred != true:
            errors.append((r["text"], true, pred, conf))
    n = len(rows)
    correct = sum(confusion[i][i] for i in INTENTS)

    per_intent: dict[Intent, IntentMetrics] = {}
    for i in INTENTS:
        tp = confusion[i][i]
        predicted = sum(confusion[t][i] for t in INTENTS)
        support = sum(confusion[i].values())
        p = tp / predicted if predicted else 0.0
        rc = tp / support if support else 0.0
        f1 = 2 * p * rc / (p + rc) if p + rc else 0.0
        per_intent[i] = IntentMetrics(p, rc, f1, support)

    bins: list[CalibrationBin] = []
    ece = 0.0
    for b in range(BINS):
        lo, hi = b / BINS, (b + 1) / BINS
        inside = [(c, ok) for c, ok in confs if lo <= c < hi or (b == BINS - 1 and c == 1.0)]
        if inside:
            mean_c = sum(c for c, _ in inside) / len(inside)
            acc = sum(ok for _, ok in inside) / len(inside)
            ece += len(inside) / n * abs(acc - mean_c)
        else:
            mean_c = acc = 0.0
        bins.append(CalibrationBin(lo, hi, len(inside), mean_c, acc))

    return EvalReport(
        n=n,
        accuracy=correct / n if n else 0.0,
        per_intent=per_intent,
        confusion=confusion,
        calibration=bins,
        ece=ece,
        under_threshold_rate=sum(c < threshold for c, _ in confs) / n if n else 0.0,
        threshold=threshold,
        errors=errors,
    )


_SHORT = {
    Intent.where_is_my_order: "wismo",
    Intent.delivered_not_received: "dnr",
    Intent.wrong_item: "wrong",
    Intent.damaged_item: "damaged",
    Intent.cancel_order: "cancel",
    Intent.change_address: "address",
    Intent.other: "other",
}


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def format_report(report: EvalReport) -> str:
    """The report as aligned plain-text tables."""
    out = [
        f"messages: {report.n}",
        f"accuracy: {report.accuracy:.4f}",
        f"under {report.threshold:.2f} confidence: {report.under_threshold_rate:.4f}",
        f"expected calibration error: {report.ece:.4f}",
        f"confident errors (wrong at >= {report.threshold:.2f}): "
        f"{len(report.confident_errors)} ({report.confident_error_rate:.4f})",
        "",
        "per intent",
    ]
    out += _table(
        ["intent", "precision", "recall", "f1", "support"],
        [
            [i.value, f"{m.precision:.3f}", f"{m.recall:.3f}", f"{m.f1:.3f}", str(m.support)]
            for i, m in report.per_intent.items()
        ],
    )
    out += ["", "confusion (rows true, columns predicted)"]
    out += _table(
        ["true \\ pred", *(_SHORT[i] for i in INTENTS)],
        [[_SHORT[t], *(str(report.confusion[t][p]) for p in INTENTS)] for t in INTENTS],
    )
    out += ["", "calibration"]
    out += _table(
        ["confidence", "count", "mean conf", "accuracy"],
        [
            [
                f"{b.low:.1f}-{b.high:.1f}",
                str(b.count),
                f"{b.mean_confidence:.3f}" if b.count else "-",
                f"{b.accuracy:.3f}" if b.count else "-",
            ]
            for b in report.calibration
        ],
    )
    return "\n".join(out)


def predictors(which: str | None = None) -> dict[str, PredictFn]:
    """The classifiers that can be evaluated, by name; "desk" is the one the desk uses.
    "llm" is there when the optional LLM reader is configured (`DESK_CLASSIFIER=llm`)."""
    from desk.classifier import classify, classify_by_rules
    from desk.classifier.model import predict, predict_combined

    def rules(text: str, subject: str | None = None) -> tuple[Intent, float]:
        u = classify_by_rules(text, subject)
        return u.intent, u.confidence

    def desk(text: str, subject: str | None = None) -> tuple[Intent, float]:
        u = classify(text, subject)
        return u.intent, u.confidence

    found: dict[str, PredictFn] = {
        "desk": desk,
        "combined": predict_combined,
        "model": predict,
        "rules": rules,
    }
    if which in (None, "llm"):
        llm = _llm_predictor()
        if llm is not None:
            found["llm"] = llm
    return found


def _llm_predictor() -> PredictFn | None:
    from desk.classifier.choice import build_classifier
    from desk.config import Settings

    settings = Settings.from_env()
    if settings.classifier != "llm":
        return None
    reader = build_classifier(settings)

    def llm(text: str, subject: str | None = None) -> tuple[Intent, float]:
        u = reader(text, subject, None)
        return u.intent, u.confidence

    return llm


SETS = ("synthetic", "real")


def report_text(name: str, which_set: str = "both", errors: int = 15) -> str:
    """The report for predictor `name` on the synthetic corpus, the real set, or both."""
    from . import real

    found = predictors(name)
    if name not in found:
        return f"== {name}: not available (the LLM reader needs DESK_CLASSIFIER=llm)"
    predict_fn = found[name]
    out: list[str] = []
    for set_name in SETS if which_set == "both" else (which_set,):
        if set_name == "synthetic":
            report = evaluate(predict_fn)
            title = f"== {name} on the synthetic corpus (held-out templates)"
        else:
            rows = real.load(split="test")
            if not rows:
                out.append(f"== {name} on the real set: no real set here ({real.where()})")
                continue
            report = evaluate(predict_fn, rows=rows)
            title = f"== {name} on the real set (held-out conversations, {real.describe()})"
        out += [title, format_report(report), ""]
        out.append(f"confident errors (true -> predicted), {len(report.confident_errors)}:")
        for text, true, pred, conf in report.confident_errors[:errors]:
            out.append(f"  {true.value} -> {pred.value} ({conf:.2f}): {text[:100]!r}")
        out.append("other errors (under the threshold):")
        unsure = [e for e in report.errors if e[3] < report.threshold]
        for text, true, pred, conf in unsure[:errors]:
            out.append(f"  {true.value} -> {pred.value} ({conf:.2f}): {text[:100]!r}")
        out.append("")
    return "\n".join(out).rstrip()


def main() -> None:
    import sys

    which_set = sys.argv[1] if len(sys.argv) > 1 else "both"
    for name in predictors():
        print(report_text(name, which_set), end="\n\n")


if __name__ == "__main__":
    main()
