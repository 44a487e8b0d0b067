"""Shared pieces of the calibration commands: labelled data, an in-memory index, the sweep."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def halves(rows: Sequence[dict[str, Any]], label: str) -> tuple[list[int], list[int]]:
    """A deterministic split, stratified by label: every other row of each label per half."""
    seen: dict[Any, int] = {}
    tune: list[int] = []
    held: list[int] = []
    for index, row in enumerate(rows):
        key = row.get(label)
        count = seen.get(key, 0)
        seen[key] = count + 1
        (tune if count % 2 == 0 else held).append(index)
    return tune, held


@dataclass(frozen=True)
class Point:
    threshold: float
    precision: float
    recall: float
    accepted: int


def sweep(
    scores: Sequence[float],
    correct: Sequence[bool],
    positives: int,
    thresholds: Iterable[float],
) -> list[Point]:
    """Precision: share of accepted items (score >= t) that are right. Recall: right and
    accepted, over all items that should be accepted."""
    out = []
    for t in thresholds:
        accepted = [ok for s, ok in zip(scores, correct, strict=True) if s >= t]
        right = sum(accepted)
        precision = right / len(accepted) if accepted else 1.0
        recall = right / positives if positives else 1.0
        out.append(Point(round(t, 3), precision, recall, len(accepted)))
    return out


def grid(low: float, high: float, step: float) -> list[float]:
    count = round((high - low) / step)
    return [round(low + i * step, 4) for i in range(count + 1)]


def lowest_with_precision(points: Sequence[Point], target: float) -> Point | None:
    for point in points:  # thresholds ascending: the first is the lowest
        if point.precision >= target and point.accepted > 0:
            return point
    return None
