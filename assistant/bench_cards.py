"""`wegwijs bench cards`: latency of a card answer end to end (the engine's card path: match,
decide, show with the local step) against a floor measured in the same process: the raw
`embed_queries` of the same message pieces (the e5 encode the matcher cannot avoid).

Messages: the labelled training messages (assistant/data/card_labels/), short and long. Warm-up
first; then each message is timed both ways, alternating which goes first.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import numpy as np

from assistant.base import AnswerRequest
from assistant.matching import pieces
from assistant.train_cards import load_labels
from wegwijs.config import Settings
from wegwijs.container import Container

ROUNDS = 2


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))  # linear interpolation between closest ranks


def bench_cards(settings: Settings) -> dict[str, Any]:
    container = Container(settings)
    engine = container.engine
    embedder = container.embedder
    messages = [m.text for m in load_labels()]
    asyncio.run(engine.answer(AnswerRequest(messages[0])))  # warm-up: model, index
    ours: list[float] = []
    shown: list[float] = []  # the messages that got a card
    floor: list[float] = []
    for round_number in range(ROUNDS):
        for index, text in enumerate(messages):

            def run_ours(text: str = text) -> None:
                started = time.perf_counter()
                answer = asyncio.run(engine.answer(AnswerRequest(text, municipality="Breda")))
                ours.append((time.perf_counter() - started) * 1000)
                if answer.card_id:
                    shown.append(ours[-1])

            def run_floor(text: str = text) -> None:
                started = time.perf_counter()
                embedder.embed_queries([p for p, _ in pieces(text)])
                floor.append((time.perf_counter() - started) * 1000)

            first, second = (
                (run_ours, run_floor) if (index + round_number) % 2 else (run_floor, run_ours)
            )
            first()
            second()
    container.close()
    return {
        "messages": len(messages),
        "rounds": ROUNDS,
        "card_answers": len(shown) // ROUNDS,
        "card_p50_ms": round(statistics.median(shown), 1),
        "card_p95_ms": round(percentile(shown, 95), 1),
        "all_p95_ms": round(percentile(ours, 95), 1),  # incl. choices / no answer (+ retrieval)
        "floor_p50_ms": round(statistics.median(floor), 1),
        "floor_p95_ms": round(percentile(floor, 95), 1),
        "latency_ratio": round(percentile(ours, 95) / percentile(floor, 95), 3),
    }
