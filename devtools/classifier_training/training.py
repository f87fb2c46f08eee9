"""Train the linear intent model on the corpus and export it as plain JSON.

Needs the `dev` extra (scikit-learn, numpy); the runtime predictor (`desk/classifier/model.py`)
does not.

    python -m devtools.classifier_training.training  # regenerate the corpus, retrain, rewrite
                                                     # desk/classifier/model.json

Two tf-idf blocks, each L2-normalised on its own and then concatenated (a FeatureUnion):
word 1-2 grams and char_wb 2-5 grams, both with sublinear tf and smoothed idf, on the text
`model.preprocess` produces. A multinomial logistic regression with balanced class
weights reads them.

Pruning keeps model.json small without making the export approximate: a first fit on the
full vocabulary ranks the features by their largest absolute weight over the classes, the
strongest are kept, and the vectorisers and the classifier are fitted again on exactly
that vocabulary. The JSON then describes the second pipeline completely (every feature
that counts towards a message's L2 norm is in the file), so the pure-Python predictor
reproduces sklearn's probabilities up to the rounding of the exported numbers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from desk.classifier.model import MODEL_PATH, WORD_PATTERN, preprocess
from desk.models import Intent
from devtools.classifier_training.corpus import generate as corpus

# Chosen by `select_c` (template-grouped cross-validation on the train split, never the
# test split): held-out log loss falls until about 1000 and is flat beyond.
C = 1000.0
C_GRID = (20.0, 100.0, 400.0, 1000.0, 3000.0)
MAX_ITER = 3000
KEEP_WORD = 6000
KEEP_CHAR = 14000
DIGITS = 5  # significant digits kept in the export

CLASSES = [i.value for i in Intent]


def _vectoriser(vocab: list[str] | None = None) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    word_vocab = char_vocab = None
    if vocab is not None:
        word_vocab = [v[2:] for v in vocab if v.startswith("w:")]
        char_vocab = [v[2:] for v in vocab if v.startswith("c:")]
    import numpy as np

    common: dict[str, Any] = {"lowercase": False, "sublinear_tf": True, "dtype": np.float64}
    return FeatureUnion(
        [
            (
                "w",
                TfidfVectorizer(
                    analyzer="word",
                    token_pattern=WORD_PATTERN,
                    ngram_range=(1, 2),
                    vocabulary=word_vocab,
                    **common,
                ),
            ),
            (
                "c",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    vocabulary=char_vocab,
                    min_df=1 if vocab is not None else 2,
                    **common,
                ),
            ),
        ]
    )


def _classifier() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, class_weight="balanced", max_iter=MAX_ITER, tol=1e-6)


def _fit(
    texts: list[str],
    labels: list[str],
    vocab: list[str] | None = None,
    weights: list[float] | None = None,
) -> tuple[Any, Any]:
    vec = _vectoriser(vocab)
    x = vec.fit_transform(texts)
    clf = _classifier()
    clf.fit(x, labels, sample_weight=weights)
    return vec, clf


def _feature_names(vec: Any) -> list[str]:
    names: list[str] = []
    for prefix, tf in vec.transformer_list:
        names.extend(f"{prefix}:{f}" for f in tf.get_feature_names_out())
    return names


def _round(x: float) -> float:
    return float(f"{x:.{DIGITS}g}")


def train(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The exported model (a JSON-ready dict) fitted on `rows` (the train split)."""
    import numpy as np

    texts = [preprocess(r["text"], r.get("subject")) for r in rows]
    labels = [r["intent"] for r in rows]
    weights = [float(r.get("weight", 1.0)) for r in rows]

    vec, clf = _fit(texts, labels, weights=weights)
    names = _feature_names(vec)
    strength = np.abs(clf.coef_).max(axis=0)
    kept: list[str] = []
    for prefix, keep in (("w:", KEEP_WORD), ("c:", KEEP_CHAR)):
        idx = [i for i, n in enumerate(names) if n.startswith(prefix)]
        idx.sort(key=lambda i: (-strength[i], names[i]))
        kept.extend(sorted(names[i] for i in idx[:keep]))

    vec, clf = _fit(texts, labels, kept, weights)
    assert list(clf.classes_) == sorted(CLASSES)
    order = [list(clf.classes_).index(c) for c in CLASSES]
    coef = clf.coef_[order]
    intercept = clf.intercept_[order]

    blocks: dict[str, dict[str, list[float]]] = {}
    for prefix, tf in vec.transformer_list:
        block: dict[str, list[float]] = {}
        offset = 0 if prefix == "w" else len(vec.transformer_list[0][1].vocabulary_)
        for term, j in sorted(tf.vocabulary_.items()):
            col = coef[:, offset + j]
            block[term] = [_round(tf.idf_[j])] + [_round(v) for v in col]
        blocks[prefix] = block
    return {
        "format": "desk-linear-1",
        "classes": CLASSES,
        "word": {"ngram_range": [1, 2], "token_pattern": WORD_PATTERN},
        "char_wb": {"ngram_range": [2, 5]},
        "sublinear_tf": True,
        "norm": "l2",
        "intercept": [_round(v) for v in intercept],
        "features": {"word": blocks["w"], "char_wb": blocks["c"]},
        "trained_on": {
            "examples": len(rows),
            "real_examples": sum(r.get("source") == "real" for r in rows),
            "seed": corpus.SEED,
            "C": C,
        },
    }


# Each real message counts this many synthetic ones: there are few, and they are what the
# desk will read.
REAL_WEIGHT = 3.0


def training_rows_from_real() -> list[dict[str, Any]]:
    """The real set's train split (never its test split), weighted; empty where absent."""
    from devtools.classifier_training import real

    return [
        {"text": r["text"], "intent": r["intent"], "weight": REAL_WEIGHT, "source": "real"}
        for r in real.load(split="train")
    ]


def write_model(model: dict[str, Any], path: Path = MODEL_PATH) -> Path:
    path.write_text(json.dumps(model, separators=(",", ":"), ensure_ascii=False) + "\n")
    return path


def select_c(grid: tuple[float, ...] = C_GRID) -> dict[float, float]:
    """Mean held-out log loss per C, folds holding out whole train templates (index mod 5)."""
    import numpy as np
    from sklearn.metrics import log_loss

    rows = [(r, i % 5) for r, i in corpus.generate_indexed() if r["split"] == "train"]
    texts = [preprocess(r["text"], r.get("subject")) for r, _ in rows]
    labels = np.array([r["intent"] for r, _ in rows])
    groups = np.array([g for _, g in rows])
    global C
    saved, result = C, {}
    try:
        for c in grid:
            C = c
            losses = []
            for fold in sorted(set(groups.tolist())):
                tr, te = groups != fold, groups == fold
                vec, clf = _fit([t for t, m in zip(texts, tr, strict=True) if m], list(labels[tr]))
                held = vec.transform([t for t, m in zip(texts, te, strict=True) if m])
                losses.append(log_loss(labels[te], clf.predict_proba(held), labels=clf.classes_))
            result[c] = float(np.mean(losses))
    finally:
        C = saved
    return result


def main() -> None:
    import sys

    if "--select-c" in sys.argv:
        for c, loss in select_c().items():
            print(f"C={c:g}  grouped-CV log loss {loss:.4f}")
        return
    corpus_path = corpus.write()
    rows: list[dict[str, Any]] = list(corpus.load(corpus_path, split="train"))
    real_rows = training_rows_from_real()
    path = write_model(train(rows + real_rows))
    print(f"real   {len(real_rows)} messages from the real set's train split")
    print(f"corpus {corpus_path} ({corpus_path.stat().st_size} bytes)")
    print(f"model  {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
