"""Classifier heads, as trained by `make train-guards` (weights.json): two views of a message.

- e5 view: logistic regression on the unit-normalised multilingual-e5 query embedding (meaning,
  in Dutch, English, Turkish, Arabic and more);
- n-gram view: logistic regression on character 2-5-grams (scikit-learn's HashingVectorizer:
  no vocabulary to store; robust to typos, dialect and run-together words).

Each binary head has a Platt (sigmoid) calibration fitted on cross-validated scores:
p = 1 / (1 + exp(a * f + b)), f = w . x + c. A message's probability is the mean of the two
views. The kind head is a multinomial logistic regression per view. Inference is plain numpy
and scipy: no pickles.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

WEIGHTS_FILE = Path(__file__).with_name("weights.json")
BINARY_HEADS = ("crisis", "medical", "scope", "distress")
N_FEATURES = 2**15
NGRAMS = (2, 5)


def ngram_vectorizer() -> Any:
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer="char_wb",
        ngram_range=NGRAMS,
        n_features=N_FEATURES,
        alternate_sign=False,
        norm="l2",
        lowercase=True,
    )


def encode_array(values: NDArray[np.float64]) -> str:
    """A weight vector as base64 float16 (the n-gram view has 32k weights per head)."""
    return base64.b64encode(np.asarray(values).astype("<f2").tobytes()).decode("ascii")


def _array(value: Any) -> NDArray[np.float64]:
    if isinstance(value, str):
        return np.frombuffer(base64.b64decode(value), dtype="<f2").astype(np.float64)
    return np.asarray(value, dtype=np.float64)


@dataclass(frozen=True)
class BinaryHead:
    coef: NDArray[np.float64]
    intercept: float
    platt_a: float
    platt_b: float

    def probability(self, x: Any) -> NDArray[np.float64]:
        """x: dense rows (e5) or a sparse matrix (n-grams)."""
        decision = np.asarray(x @ self.coef, dtype=np.float64).ravel() + self.intercept
        return 1.0 / (1.0 + np.exp(self.platt_a * decision + self.platt_b))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BinaryHead:
        return cls(
            _array(data["coef"]),
            float(data["intercept"]),
            float(data["platt"][0]),
            float(data["platt"][1]),
        )


@dataclass(frozen=True)
class KindHead:
    classes: tuple[str, ...]
    coef: NDArray[np.float64]  # (classes, features)
    intercept: NDArray[np.float64]

    def probabilities(self, x: Any) -> NDArray[np.float64]:
        logits = np.asarray(x @ self.coef.T, dtype=np.float64) + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        return weights / weights.sum(axis=1, keepdims=True)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KindHead:
        return cls(
            tuple(str(c) for c in data["classes"]),
            np.vstack([_array(row) for row in data["coef"]]),
            np.asarray(data["intercept"], dtype=np.float64),
        )


@dataclass(frozen=True)
class View:
    binary: dict[str, BinaryHead]
    kind: KindHead

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> View:
        return cls(
            {name: BinaryHead.from_json(data[name]) for name in BINARY_HEADS},
            KindHead.from_json(data["kind"]),
        )


@dataclass(frozen=True)
class Heads:
    e5: View
    ngrams: View
    thresholds: dict[str, float]
    dim: int

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> Heads:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Heads:
        return cls(
            e5=View.from_json(data["heads"]["e5"]),
            ngrams=View.from_json(data["heads"]["ngrams"]),
            thresholds={str(k): float(v) for k, v in data["thresholds"].items()},
            dim=int(data["dim"]),
        )
