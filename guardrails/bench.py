"""`bench_guard()`: start-up time and per-message latency of `Guardrails.inspect`.

Messages: the guardrail datasets (short, as people type them) plus the long messages (five
sentences or more) of the classifier's training data, so the long tail is measured too. The
floor, run in the same process on the same messages, is one raw e5 encode of the message as a
single text with the guard model (`latency_ratio` = inspect p95 / floor p95).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from guardrails.classifier.segments import units
from guardrails.inspector import Guardrails

DATASETS = Path(__file__).resolve().parent.parent / "eval" / "datasets"
TRAINING = Path(__file__).resolve().parent / "classifier" / "data"
BENCH_FILES = ("crisis.jsonl", "medical.jsonl", "injection.jsonl")
LONG_UNITS = 5
LONG_MESSAGES = 120


def dataset_messages(directory: Path = DATASETS) -> list[str]:
    messages: list[str] = []
    for name in BENCH_FILES:
        path = directory / name
        if path.exists():
            lines = path.read_text(encoding="utf-8").splitlines()
            messages += [json.loads(line)["input"] for line in lines if line.strip()]
    return messages


def long_messages(directory: Path = TRAINING, limit: int = LONG_MESSAGES) -> list[str]:
    texts = [
        json.loads(line)["text"]
        for path in sorted(directory.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return [t for t in texts if len(units(t)) >= LONG_UNITS][:limit]


def _p(values: Sequence[float], q: int) -> float:
    return round(float(np.percentile(values, q)), 2) if values else 0.0


def bench_guard(
    build: Callable[[], Guardrails] | None = None,
    messages: Sequence[str] | None = None,
    warmup: int = 5,
) -> dict[str, float | int]:
    """Builds the guardrails (timed: start_up_s), then times every message after warm-up."""
    if build is None:
        from guardrails.cli import default_guardrails

        build = default_guardrails
    texts = list(messages) if messages is not None else dataset_messages() + long_messages()
    started = time.perf_counter()
    guards = build()
    start_up = time.perf_counter() - started
    for text in texts[:warmup]:
        guards.inspect(text)
    timings, floor, long_timings = [], [], []
    embedder = guards.classifier.embedder if guards.classifier is not None else None
    for text in texts:
        begin = time.perf_counter()
        guards.inspect(text)
        elapsed = (time.perf_counter() - begin) * 1000
        timings.append(elapsed)
        if len(units(text)) >= LONG_UNITS:
            long_timings.append(elapsed)
        if embedder is not None:
            begin = time.perf_counter()
            embedder.embed_queries([text])
            floor.append((time.perf_counter() - begin) * 1000)
    result: dict[str, float | int] = {
        "start_up_s": round(start_up, 2),
        "p50_ms": _p(timings, 50),
        "p95_ms": _p(timings, 95),
        "messages": len(timings),
        "long_messages": len(long_timings),
        "long_p95_ms": _p(long_timings, 95),
    }
    if floor:
        result["floor_p95_ms"] = _p(floor, 95)
        result["latency_ratio"] = round(_p(timings, 95) / max(_p(floor, 95), 0.01), 2)
    return result
