"""Optional LLM judge for faithfulness and answer relevance (off by default; never a gate).

Asks any OpenAI-compatible server (the same client the generative strategy uses) to rate each
answered case; the mean scores go to DIR/judge.json. The deterministic scorers remain the gate.
"""

from __future__ import annotations

import json
import logging
import re
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.llm import LlmError, OpenAICompatibleClient
from eval.runner import CaseResult
from wegwijs.config import LlmSettings
from wegwijs.domain import Route

PROMPT = Path(__file__).resolve().parent / "prompts" / "judge.nl.txt"
JSON_OBJECT = re.compile(r"\{.*?\}", re.S)
MAX_PASSAGE_CHARS = 1500
log = logging.getLogger("eval.judge")


async def judge(results: Sequence[CaseResult], llm: LlmSettings) -> dict[str, Any]:
    client = OpenAICompatibleClient.from_settings(llm, None)
    system = PROMPT.read_text(encoding="utf-8")
    scores: dict[str, list[float]] = {"faithfulness": [], "relevance": []}
    errors = 0
    for result in results:
        answer = result.outcome.answer
        if answer.route is not Route.answer or not answer.answer.strip():
            continue
        passages = "\n\n".join(
            f"[{i}] {hit.chunk.text[:MAX_PASSAGE_CHARS]}"
            for i, hit in enumerate(answer.retrieved[:5], start=1)
        )
        user = (
            f"Vraag:\n{result.outcome.redacted_question}\n\nBronteksten:\n{passages or 'geen'}"
            f"\n\nAntwoord:\n{answer.answer}"
        )
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        try:
            rating = parse_rating(await client.complete(messages, max_tokens=60, temperature=0.0))
        except LlmError as exc:
            log.warning("judge failed on %s: %s", result.case.id, exc)
            errors += 1
            continue
        for key, value in rating.items():
            scores[key].append(value)
    return {
        "judge_model": llm.model,
        "judged": len(scores["relevance"]),
        "errors": errors,
        **{f"judge_{k}": round(statistics.fmean(v), 4) if v else None for k, v in scores.items()},
    }


def parse_rating(text: str) -> dict[str, float]:
    """The two scores from the judge's reply; values are clipped to 0..1."""
    match = JSON_OBJECT.search(text)
    if match is None:
        raise LlmError(f"judge reply has no JSON object: {text[:80]!r}")
    try:
        data = json.loads(match.group(0))
        return {k: min(1.0, max(0.0, float(data[k]))) for k in ("faithfulness", "relevance")}
    except (ValueError, KeyError, TypeError) as exc:
        raise LlmError(f"judge reply is not a rating: {text[:80]!r}") from exc
