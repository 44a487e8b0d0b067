"""One ingest for the whole deployment (issue 11), not one per replica.

Before: every app replica ingested the corpus at start (and on every corpus change), so N
replicas sharing a Qdrant server wrote the same points at once. Now `ingest.on_start` switches
it off in production replicas (a `wegwijs ingest` job fills the index), and replicas that do
ingest while sharing a Qdrant server and PostgreSQL take turns through an advisory lock.

Two runtimes here share one Qdrant collection (an in-memory Qdrant standing in for the server
they would both reach) and one real PostgreSQL (tests/pg_server.py).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from assistant.base import AnswerRequest
from ingest.remote import ingest_turn
from tests.conftest import CALIBRATED, MODEL_PATH
from tests.embedding_cache import CachedEmbedder
from tests.test_faults import guards
from tests.test_replicas import tiny_corpus
from ui.runtime import Runtime
from wegwijs.config import (
    EmbeddingSettings,
    IngestSettings,
    RetrievalSettings,
    Settings,
    StoreSettings,
    VectorStoreSettings,
)
from wegwijs.database import INGEST_LOCK, advisory_lock, make_engine
from wegwijs.vectorstore import QdrantStore

postgres = pytest.mark.postgres


def replica(
    root: Path, corpus: Path, database: str, shared: QdrantStore, embedder: Any, on_start: bool
) -> Runtime:
    settings = Settings(
        data_dir=root,
        corpus_dir=corpus,
        vector_store=VectorStoreSettings(mode="server"),  # replicas share one index
        embedding=EmbeddingSettings(model_path=str(MODEL_PATH)),
        retrieval=RetrievalSettings(**CALIBRATED),
        store=StoreSettings(database_url=database),
        ingest=IngestSettings(on_start=on_start),
    )
    runtime = Runtime(settings)
    runtime.container.__dict__.update(store=shared, embedder=embedder, guardrails=guards())
    return runtime


class Ingests:
    """Counts pipeline runs per replica. A run waits until some replica's start-up has ended,
    so the two start-ups overlap for certain, however fast the ingest is."""

    def __init__(self) -> None:
        self.ran: list[str] = []
        self.one_started = threading.Event()

    def watch(self, name: str, runtime: Runtime) -> None:
        pipeline = runtime.container.ingest_pipeline
        real = pipeline.run

        def run(*args: Any, **kwargs: Any) -> Any:
            self.ran.append(name)
            self.one_started.wait(timeout=60)  # a safety net: never reached when the lock works
            return real(*args, **kwargs)

        pipeline.run = run  # type: ignore[method-assign]

    async def start(self, runtime: Runtime) -> None:
        await runtime.start()
        self.one_started.set()


@pytest.fixture
def shared_index() -> Iterator[QdrantStore]:
    store = QdrantStore.memory("wegwijs")
    yield store
    store.close()


def start_two(tmp_path: Path, url: str, shared: QdrantStore, embedder: Any, on: bool) -> Any:
    corpus = tiny_corpus(tmp_path)
    runtimes = {
        n: replica(tmp_path / n, corpus, url, shared, embedder, on_start=on) for n in ("a", "b")
    }
    ingests = Ingests()
    for name, runtime in runtimes.items():
        ingests.watch(name, runtime)

    async def go() -> tuple[dict[str, dict[str, Any]], int]:
        await asyncio.gather(*(ingests.start(r) for r in runtimes.values()))
        bodies = {n: (await r.readiness())[1] for n, r in runtimes.items()}
        points = runtimes["a"]._index_size()
        for runtime in runtimes.values():
            await runtime.stop()  # closes the shared index too
        return bodies, points

    ready, points = asyncio.run(go())
    return ingests.ran, ready, points


@postgres
def test_two_replicas_starting_at_once_ingest_once(
    tmp_path: Path,
    postgres_url: str,
    shared_index: QdrantStore,
    embedder: CachedEmbedder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="wegwijs.ui")
    ran, ready, points = start_two(tmp_path, postgres_url, shared_index, embedder, on=True)
    assert len(ran) == 1  # before: ["a", "b"], both wrote the same points
    assert "another replica is ingesting the shared index; skipped here" in caplog.text
    assert points > 0
    assert all(body["checks"]["index"] for body in ready.values())  # both serve the one index


@postgres
def test_replicas_with_ingest_off_never_ingest_and_are_not_ready_on_an_empty_index(
    tmp_path: Path, postgres_url: str, shared_index: QdrantStore, embedder: CachedEmbedder
) -> None:
    ran, ready, points = start_two(tmp_path, postgres_url, shared_index, embedder, on=False)
    assert ran == [] and points == 0
    for body in ready.values():
        assert body["ready"] is False
        assert body["checks"] == {"guardrails": True, "store": True, "index": False}
        assert "index: empty (the corpus is not ingested yet)" in body["warnings"]


@postgres
def test_the_ingest_lock_is_held_by_one_session_and_released(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        with (
            advisory_lock(engine, INGEST_LOCK) as first,
            advisory_lock(engine, INGEST_LOCK) as second,
        ):
            assert first and not second
        with advisory_lock(engine, INGEST_LOCK, wait=True) as again:
            assert again
    finally:
        engine.dispose()


def test_the_embedded_default_still_ingests_at_start(
    tmp_path: Path, shared_index: QdrantStore, embedder: CachedEmbedder
) -> None:
    """`make run`: SQLite, local Qdrant, ingest on (no lock to take, nobody to share with)."""
    assert Settings().ingest.on_start is True
    runtime = replica(
        tmp_path / "one", tiny_corpus(tmp_path), "", shared_index, embedder, on_start=True
    )
    runtime.settings.vector_store.mode = "local"

    async def go() -> tuple[dict[str, Any], int]:
        await runtime.start()
        body, points = (await runtime.readiness())[1], runtime._index_size()
        await runtime.stop()
        return body, points

    body, points = asyncio.run(go())
    assert body["ready"] is True and points > 0


@postgres
def test_the_ingest_job_waits_while_another_ingest_holds_the_lock(postgres_url: str) -> None:
    """`wegwijs ingest` (the deploy job) against a Qdrant server and PostgreSQL: a second job,
    or an app replica that ingests, runs after the first, never at the same time."""
    settings = Settings(
        vector_store=VectorStoreSettings(mode="server"),
        store=StoreSettings(database_url=postgres_url),
    )
    engine = make_engine(postgres_url)
    entered = threading.Event()

    def job() -> None:
        with ingest_turn(settings):
            entered.set()

    try:
        with advisory_lock(engine, INGEST_LOCK) as held:
            assert held
            worker = threading.Thread(target=job)
            worker.start()
            waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            with engine.connect() as conn:
                while not conn.execute(text(waiting)).scalar():  # the job queues on the lock
                    assert worker.is_alive()
            assert not entered.is_set()
        worker.join(timeout=60)
        assert entered.is_set()
    finally:
        engine.dispose()


def test_a_replica_that_does_not_ingest_serves_an_edited_card_at_once(
    tmp_path: Path, shared_index: QdrantStore, embedder: CachedEmbedder
) -> None:
    """The corpus volume is shared: the job filled the index, a coordinator then edits a card;
    the replica's watcher reloads the corpus (no ingest) and answers with the new text, also for
    a phrasing the index does not have yet."""
    corpus = tiny_corpus(tmp_path)
    job = replica(tmp_path / "job", corpus, "", shared_index, embedder, on_start=True)
    app = replica(tmp_path / "app", corpus, "", shared_index, embedder, on_start=False)
    ingests = Ingests()
    ingests.watch("app", app)
    path = corpus / "faq" / "faq-respijtzorg.yaml"
    card = path.read_text(encoding="utf-8")
    new_phrasing = "wie past er op mijn moeder als ik op vakantie ga?"

    async def go() -> tuple[str, str]:
        await job.ingest()
        await app.start()
        before = (await app.container.engine.answer(AnswerRequest(new_phrasing))).answer
        edited = card.replace("variants:\n", f'variants:\n  - "{new_phrasing}"\n').replace(
            "Respijtzorg betekent", "Respijtzorg (nieuw) betekent"
        )
        path.write_text(edited, encoding="utf-8")
        await app.corpus_edited()  # what the watcher calls when the corpus changed
        after = (await app.container.engine.answer(AnswerRequest(new_phrasing))).answer
        await app.stop()
        return before, after

    before, after = asyncio.run(go())
    assert ingests.ran == []
    assert "Respijtzorg (nieuw) betekent" not in before
    assert "Respijtzorg (nieuw) betekent" in after
