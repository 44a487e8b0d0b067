"""Similarity to labelled exemplar phrases (e5 embedder), the second crisis signal.

The exemplar embeddings are computed once at start-up. A sentence counts as crisis-like when
its most similar crisis exemplar scores at least `threshold` and beats the most similar
near-miss exemplar by at least `margin`. The numbers are calibrated in README/tests (see
guardrails/crisis/exemplars.yaml for the values in use).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from wegwijs.embedding import Embedder

EXEMPLARS_FILE = Path(__file__).with_name("exemplars.yaml")


@dataclass(frozen=True)
class Similarity:
    crisis: float
    near_miss: float
    kind: str


class ExemplarIndex:
    def __init__(
        self,
        embedder: Embedder,
        crisis: dict[str, list[str]],
        near_misses: list[str],
        threshold: float,
        margin: float,
    ) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.margin = margin
        self._kinds = [kind for kind, phrases in crisis.items() for _ in phrases]
        self._crisis = embedder.embed_queries([p for phrases in crisis.values() for p in phrases])
        self._near = embedder.embed_queries(near_misses)

    @classmethod
    def from_file(cls, embedder: Embedder, path: Path = EXEMPLARS_FILE) -> ExemplarIndex:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(
            embedder,
            crisis={str(k): [str(p) for p in v] for k, v in data["crisis"].items()},
            near_misses=[str(p) for p in data["near_misses"]],
            threshold=float(data["threshold"]),
            margin=float(data["margin"]),
        )

    def similarity(self, sentence: str) -> Similarity:
        vector = self.embedder.embed_queries([sentence])[0]
        crisis_scores = self._crisis @ vector
        best = int(np.argmax(crisis_scores))
        near = float(np.max(self._near @ vector)) if len(self._near) else -1.0
        return Similarity(float(crisis_scores[best]), near, self._kinds[best])

    def nearest_is_crisis(self, sentence: str) -> bool:
        score = self.similarity(sentence)
        return score.crisis >= self.threshold and score.crisis - score.near_miss >= self.margin
