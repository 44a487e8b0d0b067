"""Privacy by design, proven on the whole app path: every PII case of eval/datasets/pii.jsonl
goes through ChatService (guardrails -> engine -> output check -> conversation store), and
then no raw PII literal may be found in any log line, the conversation store (the database
file itself) or the vector store."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from pathlib import Path

import pytest

from tests.conftest import FIXED_CORPUS, MODEL_PATH, ROOT, build_container
from tests.embedding_cache import CachedEmbedder
from wegwijs.config import Settings
from wegwijs.container import Container
from wegwijs.domain import Chunk, Route

PII_CASES = ROOT / "eval" / "datasets" / "pii.jsonl"


def pii_cases() -> list[dict]:
    return [json.loads(line) for line in PII_CASES.read_text("utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def app_path(embedder: CachedEmbedder, tmp_path_factory: pytest.TempPathFactory) -> Container:
    data_dir = tmp_path_factory.mktemp("privacy")
    container = build_container(embedder, data_dir, FIXED_CORPUS)
    container.ingest_pipeline.run(container.corpus)
    return container


def test_no_raw_pii_reaches_logs_database_or_vector_store(
    app_path: Container, caplog: pytest.LogCaptureFixture
) -> None:
    cases = pii_cases()
    literals = sorted({lit for case in cases for lit in case["expect"].get("pii", [])})
    assert len(cases) >= 60 and len(literals) >= 100

    async def run_all() -> list[str]:
        answers = []
        for case in cases:
            result = await app_path.chat.handle(case["input"], conversation_id=case["id"])
            answers.append(result.answer.answer)
        return answers

    with caplog.at_level(logging.DEBUG):
        answers = asyncio.run(run_all())

    log_text = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    stored = app_path.conversations.exchanges()
    assert len(stored) == len(cases)  # every exchange was stored (redacted), none lost
    stored_text = "\n".join(f"{e.question}\n{e.answer}" for e in stored)
    db_file = Path(app_path.settings.database_url.removeprefix("sqlite:///"))
    db_bytes = db_file.read_bytes().decode("utf-8", errors="ignore")
    every_field = [f.name for f in dataclasses.fields(Chunk) if f.name != "id"]  # the payload
    vector_text = "\n".join(
        json.dumps(payload, ensure_ascii=False)
        for _, payload in app_path.store.point_payloads(every_field)
    )

    leaks = {
        where: [lit for lit in literals if lit in text]
        for where, text in {
            "logs": log_text,
            "conversation store": stored_text,
            "database file": db_bytes,
            "vector store": vector_text,
            "answers shown": "\n".join(answers),
        }.items()
    }
    assert leaks == {where: [] for where in leaks}
    assert caplog.records, "the path logged nothing: the check above would be empty"
    assert any("[NAAM]" in e.question or "[BSN]" in e.question for e in stored)


def test_crisis_reply_with_llm_store_and_database_all_down(
    embedder: CachedEmbedder, tmp_path: Path
) -> None:
    """The crisis path needs no LLM, no vector store and no database."""
    container = Container(
        Settings(
            data_dir=tmp_path,
            corpus_dir=FIXED_CORPUS,
            embedding={"model_path": str(MODEL_PATH)},
            llm={"backend": "openai", "base_url": "http://127.0.0.1:9/v1"},
            vector_store={"mode": "server", "url": "http://127.0.0.1:9"},
            store={"database_url": "postgresql+psycopg://nobody@127.0.0.1:9/none"},
        )
    )
    container.override("embedder", embedder)
    result = asyncio.run(container.chat.handle("Ik wil er niet meer zijn. Ik kan niet meer."))
    answer = result.answer
    assert answer.route is Route.crisis and answer.crisis_kind is not None
    assert any("113" in c.phones for c in answer.contacts)
    assert "tel:113" in {link for c in answer.contacts for link in c.tel_links}
    assert "113" in answer.answer
