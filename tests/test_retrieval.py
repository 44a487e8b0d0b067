"""Hybrid retrieval on the shipped corpus: formal and everyday wording, filters, relevance."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

from assistant.retrieval import Retriever
from wegwijs.config import Settings
from wegwijs.container import Container
from wegwijs.sparse import DutchSparseEncoder
from wegwijs.vectorstore import QdrantStore

FORMAL_AND_EVERYDAY = [
    # (question, documents of which at least one must be in the top 5)
    ("Hoe doe ik een Wmo-melding bij de gemeente?", "wmo-melding"),
    ("Waar moet ik zijn bij de gemeente als mijn moeder hulp thuis nodig heeft?", "wmo-melding"),
    ("Wat doet het Wmo-loket?", "wmo-melding algemeen-waar-begin-je algemeen-begrippenlijst"),
    ("Hoe krijg ik wijkverpleging?", "zvw-wijkverpleging"),
    ("Wie betaalt de thuiszorg van mijn vader, de zorgverzekeraar?", "zvw-wijkverpleging"),
    ("Komt er een zuster aan huis voor het wassen van mijn moeder?", "zvw-wijkverpleging"),
    ("huishoudelijke hulp aanvragen", "wmo-huishoudelijke-hulp"),
    ("Wie helpt mijn ouders met schoonmaken?", "wmo-huishoudelijke-hulp"),
    ("respijtzorg", "wmo-respijtzorg-logeeropvang"),
    ("Ik wil even vrij van de zorg, kan iemand het overnemen?", "wmo-respijtzorg-logeeropvang"),
    ("persoonsgebonden budget of zorg in natura", "pgb-of-zin"),
    (
        "Mag ik vrij van mijn werk om voor mijn zieke moeder te zorgen?",
        "werk-zorgverlof-kortdurend",
    ),
]


@pytest.mark.parametrize(("question", "doc_id"), FORMAL_AND_EVERYDAY)
def test_hybrid_finds_the_document(shipped: Container, question: str, doc_id: str) -> None:
    found = shipped.retriever.retrieve(question)
    assert len(found) == shipped.settings.retrieval.top_k
    assert set(doc_id.split()) & {hit.chunk.doc_id for hit in found}
    assert all(hit.chunk.kind == "doc" for hit in found)


def test_relevance_separates_on_and_off_topic(shipped: Container) -> None:
    on_topic = shipped.retriever.search("Hoe vraag ik huishoudelijke hulp aan bij de gemeente?")
    off_topic = shipped.retriever.search("Wat is de hoofdstad van Frankrijk?")
    assert on_topic.relevant and on_topic.relevance > off_topic.relevance
    assert not off_topic.relevant
    assert off_topic.passages  # the passages are still returned; the engine decides what to say


def test_law_filter(shipped: Container) -> None:
    found = shipped.retriever.retrieve("Wie betaalt de zorg thuis?", laws=("zvw",))
    assert found and {hit.chunk.law.value for hit in found} == {"zvw"}


def test_municipality_filter_keeps_other_gemeenten_out(fixed: Container) -> None:
    question = "Waar kan ik als mantelzorger terecht voor steun en een gesprek?"
    in_breda = [h.chunk.doc_id for h in fixed.retriever.retrieve(question, municipality="Breda")]
    in_tilburg = [
        h.chunk.doc_id for h in fixed.retriever.retrieve(question, municipality="Tilburg")
    ]
    nowhere = [h.chunk.doc_id for h in fixed.retriever.retrieve(question)]
    assert "breda-mantelzorgpunt" in in_breda
    assert "breda-mantelzorgpunt" not in in_tilburg
    assert "breda-mantelzorgpunt" not in nowhere
    assert "tilburg-wmo-loket" not in in_breda


def test_local_document_does_not_crowd_out_general_ones(fixed: Container) -> None:
    found = fixed.retriever.retrieve(
        "Hoe doe ik een melding voor hulp thuis?", municipality="Breda"
    )
    doc_ids = [h.chunk.doc_id for h in found]
    assert doc_ids[0] == "wmo-melding"  # the general document, not another gemeente's loket
    assert "tilburg-wmo-loket" not in doc_ids


def test_query_embedding_is_shared(shipped: Container) -> None:
    retriever = shipped.retriever
    first = retriever.embed_query("een vraag over de Wmo die maar één keer wordt ingebed")
    again = retriever.embed_query("een vraag over de Wmo die maar één keer wordt ingebed")
    assert first is again


class CountingEmbedder:
    """Query vector = [length of the text, 0, 0, 0]; counts its calls."""

    dim = 4

    def __init__(self) -> None:
        self.calls = 0

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return np.array([[len(t), 0, 0, 0] for t in texts], dtype=np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self.embed_queries(texts)


def test_the_query_cache_holds_under_worker_threads() -> None:
    """FAQ matching and retrieval run in worker threads (asyncio.to_thread). The hand-rolled
    OrderedDict cache raised KeyError when one thread evicted the entry another had just found
    (seen here with 8 threads, a 2-entry cache and a tiny switch interval)."""
    embedder = CountingEmbedder()
    retriever = Retriever(embedder, DutchSparseEncoder(), QdrantStore.memory("t"), Settings(),
                          query_cache=2)  # fmt: skip
    errors: list[str] = []

    def work(step: int) -> None:
        try:
            for i in range(40_000):
                query = "q" * ((i * step) % 9 + 1)
                assert retriever.embed_query(query)[0] == len(query)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work, args=(step,)) for step in range(1, 9)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    calls = embedder.calls
    assert retriever.embed_query("q") is retriever.embed_query("q")  # still a cache
    assert embedder.calls <= calls + 1
