"""Writes a run to its directory: cases.jsonl, summary.json, repeat.json (with --repeat)."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.metrics import SUMMARY_KEYS
from eval.runner import CaseResult, RunResult
from eval.scorers import pii_pattern

MASK = "[GELEKT]"


def case_row(result: CaseResult, run: int) -> dict[str, Any]:
    """The cases.jsonl line; PII literals that survived are masked so outputs never carry them."""
    answer = result.outcome.answer
    expect = result.case.expect
    return {
        "id": result.case.id,
        "route": "error" if result.outcome.error else answer.route.value,
        "crisis_kind": answer.crisis_kind.value if answer.crisis_kind else None,
        "strategy": answer.strategy.value,
        "answer": mask(answer.answer, expect.pii),
        "citations": [
            {
                "id": c.id,
                "title": c.title,
                "url": c.url,
                "law": c.law,
                "quote": c.quote,
                "legal": [item.label for item in c.legal],
            }
            for c in answer.citations
        ],
        "card_id": answer.card_id,
        "choices": [{"id": c.id, "label": c.label} for c in answer.choices],
        "passed": result.passed,
        "failures": result.failures,
        # Extra context for the report and for evaluators reading the file.
        "expected_route": expect.route.value if expect.route else None,
        "question": mask(result.outcome.redacted_question, expect.pii),
        "sources": [doc for doc, _ in result.outcome.top_sources],
        "latency_ms": round(answer.latency_ms, 1),
        "origin": result.case.origin,
        "run": run,
    }


def mask(text: str, literals: Sequence[str]) -> str:
    for literal in literals:
        text = pii_pattern(literal).sub(MASK, text)
    return text


def mean_summary(runs: Sequence[RunResult]) -> dict[str, Any]:
    """The mean of every metric over the runs (summary.json keeps exactly its keys)."""
    out: dict[str, Any] = {}
    for key in SUMMARY_KEYS:
        values = [r.summary[key] for r in runs if r.summary.get(key) is not None]
        out[key] = round(statistics.fmean(values), 4) if values else None
    out["cases"] = runs[0].summary["cases"]
    return out


def spread(runs: Sequence[RunResult]) -> dict[str, Any]:
    """repeat.json: per metric the values of each run, mean, standard deviation, min and max."""
    metrics: dict[str, Any] = {}
    for key in SUMMARY_KEYS[1:]:
        values = [r.summary[key] for r in runs if r.summary.get(key) is not None]
        metrics[key] = (
            {
                "values": values,
                "mean": round(statistics.fmean(values), 4),
                "stdev": round(statistics.stdev(values), 4) if len(values) > 1 else 0.0,
                "min": min(values),
                "max": max(values),
            }
            if values
            else None
        )
    return {"runs": len(runs), "seconds": [round(r.seconds, 1) for r in runs], "metrics": metrics}


def write_run(out: Path, runs: Sequence[RunResult]) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    rows = [case_row(result, n) for n, run in enumerate(runs, start=1) for result in run.results]
    with (out / "cases.jsonl").open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    summary = mean_summary(runs)
    write_json(out / "summary.json", summary)
    if len(runs) > 1:
        write_json(out / "repeat.json", spread(runs))
    extras = {k: v for run in runs for k, v in run.extra.items()}
    if extras:
        write_json(out / "judge.json", extras)
    return summary


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def read_summary(folder: Path) -> dict[str, Any]:
    path = folder / "summary.json" if folder.is_dir() else folder
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def read_cases(folder: Path) -> list[dict[str, Any]]:
    path = folder / "cases.jsonl"
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
