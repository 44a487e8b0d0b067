"""Golden files: whole `wegwijs ask --json` results (minus latency) for fixed questions on the
fixed test corpus (tests/data/corpus). Regenerate with WEGWIJS_UPDATE_GOLDEN=1 and review the
diff like code."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from assistant.cli import answer_one
from wegwijs.container import Container

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("WEGWIJS_UPDATE_GOLDEN") == "1"

CASES = {
    "faq_zorgverlof": ("Kan ik zorgverlof krijgen van mijn werk?", None),
    "faq_huishouden_paraphrase": ("Hoe vraag ik een huishoudelijke hulp aan?", "4811AB"),
    "faq_bezwaar": ("Hoe maak ik bezwaar tegen een besluit van de gemeente?", None),
    "nocard_wijkverpleging": ("Moet ik voor wijkverpleging eigen risico betalen?", None),
    "nocard_pgb": ("Kan ik met een pgb zelf mijn zorgverlener kiezen?", None),
    "nocard_local_breda": ("Waar kan ik als mantelzorger terecht voor een gesprek?", "4811AB"),
    "providers_logeerhuis": ("Is er een logeerhuis bij mij in de buurt?", "5038"),
    "none_off_topic": ("Hoe maak ik een appeltaart?", "4811AB"),
}


def result_without_latency(container: Container, question: str, postcode: str | None) -> Any:
    result = asyncio.run(answer_one(container, question, postcode))
    assert set(result) >= {
        "route",
        "strategy",
        "answer",
        "citations",
        "crisis_kind",
        "contacts",
        "latency_ms",
    }
    assert result["latency_ms"] > 0
    result.pop("latency_ms")
    return result


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(fixed: Container, name: str) -> None:
    question, postcode = CASES[name]
    result = {
        "input": question,
        "postcode": postcode,
        "result": result_without_latency(fixed, question, postcode),
    }
    path = GOLDEN / f"{name}.json"
    if UPDATE or not path.exists():
        path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"golden file {path.name} was missing and has been written; review it")
    assert result == json.loads(path.read_text(encoding="utf-8"))


def test_golden_cases_cover_each_strategy() -> None:
    strategies = {
        json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))["result"]["strategy"]
        for name in CASES
        if (GOLDEN / f"{name}.json").exists()
    }
    assert strategies == {"faq", "extractive", "none"}


def test_jsonl_batch_writes_one_contract_result_per_line(fixed: Container) -> None:
    import io

    from assistant.cli import answer_lines

    lines = [
        json.dumps({"input": "Kan ik zorgverlof krijgen van mijn werk?", "postcode": None}),
        "",
        "geen json",
        json.dumps({"input": "Is er een logeerhuis bij mij in de buurt?", "postcode": "4811AB"}),
    ]
    out = io.StringIO()
    failures = asyncio.run(answer_lines(fixed, lines, out))
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert failures == 1 and len(results) == 3
    assert results[0]["strategy"] == "faq" and results[0]["route"] == "answer"
    assert "error" in results[1]
    assert results[2]["strategy"] == "extractive" and "Breda" in results[2]["answer"]
