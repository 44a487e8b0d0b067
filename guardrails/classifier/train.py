"""Train the guard heads: `make train-guards` (python -m guardrails.classifier.train).

Deterministic: fixed folds and seeds, int8 e5 embeddings (identical on 1 or 2 threads),
floats written with 7 significant digits, keys sorted. Running it twice on the same data and
model gives the same weights.json byte for byte (tests/test_guard_classifier.py checks it).

Data: guardrails/classifier/data/*.jsonl ({"text", "group", "kind"}) plus the project's
older labelled datasets in eval/datasets (mapped to groups below). The frozen sets in
eval/blind/ are never read here; data/blind_v1_spent.jsonl is the first blind set, copied in
after it was scored and looked at (eval/blind/README.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from guardrails.classifier.heads import WEIGHTS_FILE, Heads, encode_array, ngram_vectorizer
from guardrails.classifier.scorer import GuardClassifier

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = Path(__file__).with_name("data")
EVAL_DATASETS = ROOT / "eval" / "datasets"
GROUPS = (
    "crisis", "near_miss", "distress", "medical", "navigation_medical", "navigation",
    "out_of_scope", "misuse",
)  # fmt: skip
KINDS = ("suicide", "violence", "emergency")
FOLDS = 5
DIM = 384  # multilingual-e5-small
SEED = 20261130
E5_C = 4.0  # inverse regularisation per view (cross-validated on the training data, README)
NGRAM_C = 10.0

# Which groups are positive / negative for each binary head (groups not named are left out).
HEAD_GROUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "crisis": (("crisis",), tuple(g for g in GROUPS if g != "crisis")),
    "medical": (
        ("medical",),
        ("near_miss", "distress", "navigation_medical", "navigation", "out_of_scope", "misuse"),
    ),
    "scope": (
        ("out_of_scope", "misuse"),
        ("crisis", "near_miss", "distress", "medical", "navigation_medical", "navigation"),
    ),
    "distress": (
        ("distress",),
        ("navigation_medical", "navigation", "medical", "out_of_scope", "misuse"),
    ),
}


@dataclass(frozen=True)
class Example:
    text: str
    group: str
    kind: str | None
    source: str  # file:line


def load_examples(data_dir: Path = DATA_DIR, eval_dir: Path = EVAL_DATASETS) -> list[Example]:
    examples: list[Example] = []
    for path in sorted(data_dir.glob("*.jsonl")):
        for number, row in _rows(path):
            group, kind = str(row["group"]), row.get("kind")
            if group not in GROUPS or (group == "crisis") != (kind in KINDS):
                raise ValueError(f"{path}:{number}: bad group/kind {group!r}/{kind!r}")
            examples.append(Example(str(row["text"]), group, kind, f"{path.name}:{number}"))
    for name, mapping in _EVAL_MAPPINGS.items():
        path = eval_dir / name
        for number, row in _rows(path):
            mapped = mapping(row["expect"])
            if mapped is not None:
                group = mapped
                kind = row["expect"].get("crisis_kind") if group == "crisis" else None
                examples.append(Example(str(row["input"]), group, kind, f"{name}:{number}"))
    unique: dict[str, Example] = {}
    for example in examples:
        unique.setdefault(example.text.strip(), example)
    return list(unique.values())


def _rows(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            yield number, json.loads(line)


def _route_group(
    routes: dict[str, str],
) -> Callable[[dict[str, Any]], str | None]:
    return lambda expect: routes.get(str(expect.get("route")))


_EVAL_MAPPINGS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "crisis.jsonl": _route_group({"crisis": "crisis", "answer": "near_miss"}),
    "medical.jsonl": _route_group({"medical_refusal": "medical", "answer": "navigation_medical"}),
    "out_of_scope.jsonl": _route_group({"out_of_scope": "out_of_scope"}),
    "injection.jsonl": _route_group({"out_of_scope": "misuse"}),
    "navigation.jsonl": _route_group({"answer": "navigation"}),
    "faq_paraphrases.jsonl": _route_group({"answer": "navigation"}),
}


# ---- embeddings ---------------------------------------------------------------------------


class EmbeddingCache:
    """e5 vectors by text, embedded in sorted batches (the order does not change results)."""

    def __init__(self, embed: Callable[[list[str]], Any]) -> None:
        self.embed = embed
        self.vectors: dict[str, NDArray[np.float32]] = {}

    def matrix(self, texts: Sequence[str]) -> NDArray[np.float32]:
        missing = sorted(set(texts) - self.vectors.keys())
        if missing:
            for text, vector in zip(missing, np.asarray(self.embed(missing)), strict=True):
                self.vectors[text] = vector.astype(np.float32)
        return np.vstack([self.vectors[t] for t in texts])


class CachedEmbedder:
    """The `Embedder` seam over a cache (queries only: the guard heads read queries)."""

    def __init__(self, cache: EmbeddingCache, dim: int = DIM) -> None:
        self.cache = cache
        self.dim = dim

    def embed_queries(self, texts: list[str]) -> NDArray[np.float32]:
        return self.cache.matrix(texts)

    def embed_passages(self, texts: list[str]) -> NDArray[np.float32]:
        return self.cache.matrix(texts)


def warm(cache: EmbeddingCache, classifier: GuardClassifier, examples: Sequence[Example]) -> None:
    """Embed every text the classifier will read for these examples, in one batch."""
    texts = [e.text for e in examples]
    cache.matrix(texts + [t for e in examples for t in classifier.segments(e.text).texts])


# ---- training -----------------------------------------------------------------------------


def _calibrated(x: Any, y: Sequence[int], c_value: float) -> dict[str, Any]:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression

    base = LogisticRegression(C=c_value, class_weight="balanced", max_iter=5000)
    model = CalibratedClassifierCV(base, method="sigmoid", cv=FOLDS, ensemble=False)
    model.fit(x, np.asarray(y))
    calibrated = model.calibrated_classifiers_[0]
    return {
        "coef": calibrated.estimator.coef_[0],
        "intercept": float(calibrated.estimator.intercept_[0]),
        "platt": [float(calibrated.calibrators[0].a_), float(calibrated.calibrators[0].b_)],
    }


def _kind(x: Any, y: Sequence[str], c_value: float) -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c_value, class_weight="balanced", max_iter=5000)
    model.fit(x, list(y))
    order = [list(model.classes_).index(k) for k in KINDS]
    return {
        "classes": list(KINDS),
        "coef": model.coef_[order],
        "intercept": model.intercept_[order],
    }


def fit_view(examples: Sequence[Example], x: Any, c_value: float, packed: bool) -> dict[str, Any]:
    """Every head of one view on the whole messages (x: one row per example)."""
    pack = encode_array if packed else (lambda values: np.asarray(values).tolist())
    view: dict[str, Any] = {}
    for name, (positive, negative) in HEAD_GROUPS.items():
        rows = [i for i, e in enumerate(examples) if e.group in positive + negative]
        head = _calibrated(x[rows], [int(examples[i].group in positive) for i in rows], c_value)
        view[name] = head | {"coef": pack(head["coef"])}
    crisis = [i for i, e in enumerate(examples) if e.group == "crisis"]
    kind = _kind(x[crisis], [str(examples[i].kind) for i in crisis], c_value)
    view["kind"] = kind | {
        "coef": [pack(row) for row in kind["coef"]],
        "intercept": kind["intercept"].tolist(),
    }
    return view


def fit_all(examples: Sequence[Example], cache: EmbeddingCache) -> dict[str, Any]:
    """Both views on the whole messages: the heads for these data."""
    e5 = fit_view(examples, cache.matrix([e.text for e in examples]), E5_C, packed=False)
    grams = ngram_vectorizer().transform([e.text for e in examples])
    return {"e5": e5, "ngrams": fit_view(examples, grams, NGRAM_C, packed=True)}


# ---- cross-validated scores and thresholds -----------------------------------------------


def out_of_fold_scores(examples: Sequence[Example], cache: EmbeddingCache) -> list[dict[str, Any]]:
    """Message-level scores for every example from heads trained without its fold."""
    folds = np.random.default_rng(SEED).permutation(len(examples)) % FOLDS
    scores: list[dict[str, Any]] = [{} for _ in examples]
    for fold in range(FOLDS):
        print(f"train-guards: fold {fold + 1} of {FOLDS}", file=sys.stderr, flush=True)
        train = [examples[i] for i in range(len(examples)) if folds[i] != fold]
        heads = Heads.from_dict({"heads": fit_all(train, cache), "thresholds": {}, "dim": DIM})
        classifier = GuardClassifier(CachedEmbedder(cache), heads)
        held_out = [int(i) for i in np.flatnonzero(folds == fold)]
        warm(cache, classifier, [examples[i] for i in held_out])
        for i in held_out:
            scores[i] = asdict(classifier.score(examples[i].text))
    return scores


def rate(
    scores: Sequence[dict[str, Any]],
    examples: Sequence[Example],
    groups: Iterable[str],
    key: str,
    threshold: float,
) -> float:
    wanted = set(groups)
    chosen = [
        s[key] >= threshold for s, e in zip(scores, examples, strict=True) if e.group in wanted
    ]
    return float(np.mean(chosen)) if chosen else 0.0


def lowest_threshold_with(ok: Callable[[float], bool]) -> float:
    """The lowest threshold on a 0.005 grid whose false-alarm rates stay within bounds."""
    for threshold in np.round(np.arange(0.02, 0.995, 0.005), 3):
        if ok(float(threshold)):
            return float(threshold)
    return 0.99


# Bounds on cross-validated training scores (never on the blind test set), set before the
# first training run: the false-alarm rates each level may cost.
NAV = ("navigation", "navigation_medical")
CARE = ("crisis", "near_miss", "distress", "medical", *NAV)


# The crisis card: at most this share of near misses and of navigation questions get it
# (cross-validated). Loosening them to 4.5% and 1.5% was tried after the twin pairs made near
# misses harder: short plain questions ("mijn moeder slaapt slecht") then got the crisis card.
CRISIS_ON_NEAR_MISS = 0.03
CRISIS_ON_NAVIGATION = 0.005

# The concern line: the three ways in (whole-message crisis score, the riskiest sentence or
# window, distress) are chosen together, as the thresholds that give the most crisis messages
# human contacts while at most NAV_CONCERN of the navigation messages get the line and at least
# DISTRESS_RECALL of the distress messages do (cross-validated). Chosen one by one at 4% each,
# the three false-alarm rates added up on the long, tired carer stories (README).
NAV_CONCERN = 0.10
DISTRESS_RECALL = 0.90
CONCERN_GRID = np.round(np.arange(0.05, 0.6, 0.01), 3)
WINDOW_GRID = np.round(np.arange(0.30, 0.995, 0.01), 3)
DISTRESS_GRID = (0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)


def concern_thresholds(
    scores: Sequence[dict[str, Any]], examples: Sequence[Example]
) -> tuple[float, float, float]:
    groups = np.array([e.group for e in examples])
    navigation, crisis, distressed = (
        np.isin(groups, NAV),
        groups == "crisis",
        groups == "distress",
    )
    by = {k: np.array([s[k] for s in scores]) for k in ("crisis", "window", "distress")}
    best: tuple[float, float, float, float, float] | None = None  # contacts, -nav, thresholds
    for td in DISTRESS_GRID:
        line_d = by["distress"] >= td
        for tc in CONCERN_GRID:
            line_dc = line_d | (by["crisis"] >= tc)
            for tw in WINDOW_GRID:
                line = line_dc | (by["window"] >= tw)
                nav = float(line[navigation].mean())
                if nav > NAV_CONCERN or float(line[distressed].mean()) < DISTRESS_RECALL:
                    continue
                candidate = (float(line[crisis].mean()), -nav, float(tc), float(tw), float(td))
                if best is None or candidate[:2] > best[:2]:
                    best = candidate
    if best is None:  # no combination within the bounds: the strictest grid point
        return float(CONCERN_GRID[-1]), float(WINDOW_GRID[-1]), float(DISTRESS_GRID[-1])
    return best[2], best[3], best[4]


def choose_thresholds(
    scores: Sequence[dict[str, Any]], examples: Sequence[Example]
) -> dict[str, float]:
    def r(groups: Iterable[str], key: str, t: float) -> float:
        return rate(scores, examples, groups, key, t)

    crisis = lowest_threshold_with(
        lambda t: (
            r(("near_miss",), "crisis", t) <= CRISIS_ON_NEAR_MISS
            and r(NAV, "crisis", t) <= CRISIS_ON_NAVIGATION
        )
    )
    concern, window, distress = concern_thresholds(scores, examples)
    return {
        "crisis": crisis,
        "concern": min(concern, crisis),
        "window": window,
        "distress": distress,
        "medical": lowest_threshold_with(
            lambda t: r((*NAV, "near_miss", "distress"), "medical", t) <= 0.02
        ),
        "scope": lowest_threshold_with(lambda t: r(CARE, "scope", t) <= 0.015),
    }


# ---- the command --------------------------------------------------------------------------


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.7g}")
    if isinstance(value, list):
        return [_round(v) for v in value]
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    return value


def data_digest(examples: Sequence[Example]) -> str:
    digest = hashlib.sha256()
    for e in examples:
        digest.update(f"{e.group}\t{e.kind}\t{e.text}\n".encode())
    return digest.hexdigest()


def build(embed: Callable[[list[str]], Any], model_name: str, out: Path) -> dict[str, Any]:
    examples = load_examples()
    cache = EmbeddingCache(embed)
    oof = out_of_fold_scores(examples, cache)
    thresholds = choose_thresholds(oof, examples)
    weights = {
        "model": model_name,
        "dim": DIM,
        "data_sha256": data_digest(examples),
        "counts": dict(sorted(Counter(e.group for e in examples).items())),
        "thresholds": thresholds,
        "heads": fit_all(examples, cache),
        "cross_validated": cross_validated_report(oof, examples, thresholds),
    }
    text = json.dumps(_round(weights), sort_keys=True, ensure_ascii=False, indent=1) + "\n"
    out.write_text(text, encoding="utf-8")
    return weights


def cross_validated_report(
    scores: Sequence[dict[str, Any]], examples: Sequence[Example], t: dict[str, float]
) -> dict[str, float]:
    def r(groups: Iterable[str], key: str, threshold: float) -> float:
        return round(rate(scores, examples, groups, key, threshold), 4)

    crisis_rows = [(s, e) for s, e in zip(scores, examples, strict=True) if e.group == "crisis"]
    navigation = [s for s, e in zip(scores, examples, strict=True) if e.group in NAV]

    def line(s: dict[str, Any]) -> bool:
        return (
            s["crisis"] >= t["concern"]
            or s["window"] >= t["window"]
            or s["distress"] >= t["distress"]
        )

    concern = [line(s) for s in navigation]
    return {
        "crisis_recall": r(("crisis",), "crisis", t["crisis"]),
        "crisis_contacts": round(float(np.mean([line(s) for s, _ in crisis_rows])), 4),
        "crisis_on_near_miss": r(("near_miss",), "crisis", t["crisis"]),
        "crisis_kind_accuracy": round(
            float(np.mean([s["kind"] == e.kind for s, e in crisis_rows])), 4
        ),
        "concern_on_navigation": round(float(np.mean(concern)), 4),
        "distress_recall": r(("distress",), "distress", t["distress"]),
        "medical_recall": r(("medical",), "medical", t["medical"]),
        "medical_over_refusal": r(NAV, "medical", t["medical"]),
        "scope_recall": r(("out_of_scope", "misuse"), "scope", t["scope"]),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    args = parser.parse_args(argv)
    from guardrails.factory import embedder_if_present
    from wegwijs.config import load_settings

    settings = load_settings()
    embedder = embedder_if_present(settings)  # the same int8 e5 the guardrails use
    if embedder is None:
        print(f"no embedding model at {settings.model_path}: run `make install`", file=sys.stderr)
        return 2
    weights = build(embedder.embed_queries, settings.model_path.name, args.out)
    json.dump(
        weights["cross_validated"] | {"thresholds": weights["thresholds"]}, sys.stdout, indent=1
    )
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
