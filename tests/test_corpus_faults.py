"""The corpus folder in trouble (issue 12): gone or emptied while the chat runs.

Before: the watcher saw a changed folder, ingest loaded an empty corpus and deleted every
document from the index, so the chat stopped answering until someone noticed. Now ingest refuses
(`CorpusUnavailable`), the index keeps answering, and the next ingest after the folder is back
finds everything unchanged.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from ingest.corpus import CorpusUnavailable, load_corpus
from tests.conftest import FIXED_CORPUS, ingested
from tests.embedding_cache import CachedEmbedder
from wegwijs.domain import Route

QUESTION = "Hoe vraag ik respijtzorg aan bij de gemeente?"


@pytest.mark.parametrize("fault", ["folder gone", "folder emptied"])
def test_a_lost_corpus_never_empties_the_index(
    embedder: CachedEmbedder, tmp_path: Path, fault: str
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXED_CORPUS, corpus)
    container = ingested(embedder, tmp_path / "data", corpus)
    pipeline = container.ingest_pipeline
    before = container.store.count()
    aside = tmp_path / "aside"
    corpus.rename(aside)
    if fault == "folder emptied":
        corpus.mkdir()
    with pytest.raises(CorpusUnavailable):
        pipeline.run(load_corpus(corpus))
    assert container.store.count() == before
    answer = asyncio.run(container.chat.handle(QUESTION)).answer
    assert answer.route is Route.answer and answer.answer.strip()
    if corpus.exists():
        corpus.rmdir()
    aside.rename(corpus)  # the fault ends
    report = pipeline.run(load_corpus(corpus))
    assert report.added == report.removed == 0 and container.store.count() == before
    container.close()


def test_an_unreadable_vector_store_gives_a_dutch_message_and_recovers(
    embedder: CachedEmbedder, tmp_path: Path
) -> None:
    """The embedded store's folder damaged: a normal question gets the Dutch fault text, a crisis
    its contacts, and once the folder is restored the next question is answered again."""
    from tests.conftest import make_settings
    from wegwijs.chat import ENGINE_FAULT_TEXT
    from wegwijs.config import VectorStoreSettings
    from wegwijs.container import Container

    def container() -> Container:
        settings = make_settings(tmp_path / "data", FIXED_CORPUS)
        settings.vector_store = VectorStoreSettings(mode="local")
        built = Container(settings)
        built.override("embedder", embedder)
        return built

    first = container()
    first.ingest_pipeline.run(first.corpus)
    first.close()
    folder = tmp_path / "data" / "edge"
    backup = tmp_path / "edge-backup"
    shutil.copytree(folder, backup)
    for path in folder.rglob("*"):
        if path.is_file():
            path.write_bytes(b"\x00garbage" * 64)

    damaged = container()
    answer = asyncio.run(damaged.chat.handle(QUESTION)).answer
    assert answer.answer == ENGINE_FAULT_TEXT
    crisis = asyncio.run(damaged.chat.handle("ik wil niet meer leven")).answer
    assert crisis.route is Route.crisis

    shutil.rmtree(folder)
    shutil.copytree(backup, folder)  # the fault ends: the same process answers again
    answer = asyncio.run(damaged.chat.handle(QUESTION)).answer
    assert answer.answer != ENGINE_FAULT_TEXT and answer.answer.strip()
    damaged.close()
