"""`bench_guard()`: start-up time and per-message latency of `Guardrails.inspect`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from guardrails.inspector import Guardrails

DATASETS = Path(__file__).resolve().parent.parent / "eval" / "datasets"
BENCH_FILES = ("crisis.jsonl", "medical.jsonl", "injection.jsonl")


def dataset_messages(directory: Path = DATASETS) -> list[str]:
    messages: list[str] = []
    for name in BENCH_FILES:
        path = directory / name
        if path.exists():
            lines = path.read_text(encoding="utf-8").splitlines()
            messages += [json.loads(line)["input"] for line in lines if line.strip()]
    return messages


def bench_guard(
    build: Callable[[], Guardrails] | None = None,
    messages: Sequence[str] | None = None,
    warmup: int = 5,
) -> dict[str, float | int]:
    """Builds the guardrails (timed: start_up_s), then times every message after warm-up."""
    if build is None:
        from guardrails.cli import default_guardrails

        build = default_guardrails
    texts = list(messages) if messages is not None else dataset_messages()
    started = time.perf_counter()
    guards = build()
    start_up = time.perf_counter() - started
    for text in texts[:warmup]:
        guards.inspect(text)
    timings = []
    for text in texts:
        begin = time.perf_counter()
        guards.inspect(text)
        timings.append((time.perf_counter() - begin) * 1000)
    return {
        "start_up_s": round(start_up, 2),
        "p50_ms": round(float(np.percentile(timings, 50)), 2),
        "p95_ms": round(float(np.percentile(timings, 95)), 2),
        "messages": len(timings),
    }
