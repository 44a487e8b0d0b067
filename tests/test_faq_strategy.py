"""FAQ first: approved answers verbatim for the FAQ's phrasings and close paraphrases only."""

from __future__ import annotations

import asyncio
import uuid

import numpy as np
import pytest

from assistant.base import AnswerRequest
from assistant.strategies.faq import FAQ_FILTER, FaqIndex
from wegwijs.container import Container
from wegwijs.domain import Answer, Chunk, Law, Strategy
from wegwijs.sparse import DutchSparseEncoder
from wegwijs.vectorstore import QdrantStore

PARAPHRASES = [
    ("Hoe vraag ik Wmo-hulp aan?", "faq-wmo-hulp-aanvragen"),
    ("Hoe kom ik aan een scootmobiel voor mijn moeder?", "faq-scootmobiel-rolstoel"),
    ("Wat is het verschil tussen pgb en zin?", "faq-pgb-of-zorg-in-natura"),
    ("Heb ik recht op zorgverlof van mijn werkgever?", "faq-zorgverlof"),
    ("Wat is respijtzorg?", "faq-respijtzorg"),
    ("Hoe krijg ik een indicatie van het CIZ?", "faq-wlz-indicatie-ciz"),
]

NEAR_MISSES = [
    "Hoe hoog is het eigen risico van de zorgverzekering?",
    "Hoe vraag ik dubbele kinderbijslag aan?",
    "Hoe hoog is de eigen bijdrage in de Wlz?",
    "Wat staat er in een beschikking?",
    "Kan ik mijn woning laten aanpassen via de gemeente?",
    "Hoe regel ik een volmacht voor de bank van mijn moeder?",
    "Welke hulplijnen kan ik 's nachts bellen?",
    "Wat doet het zorgkantoor?",
]


def ask(container: Container, question: str) -> Answer | None:
    return asyncio.run(container.faq_strategy.answer(AnswerRequest(question), []))


def test_every_faq_phrasing_gets_its_own_answer_verbatim(shipped: Container) -> None:
    for entry in shipped.corpus.faq:
        for phrasing in (entry.question, *entry.variants):
            answer = ask(shipped, phrasing)
            assert answer is not None, phrasing
            assert answer.strategy is Strategy.faq
            assert answer.answer == entry.answer  # verbatim, from the corpus file
            assert [c.url for c in answer.citations] == list(entry.sources)


@pytest.mark.parametrize(("question", "faq_id"), PARAPHRASES)
def test_paraphrases_match(shipped: Container, question: str, faq_id: str) -> None:
    answer = ask(shipped, question)
    entry = next(e for e in shipped.corpus.faq if e.id == faq_id)
    assert answer is not None and answer.answer == entry.answer
    assert {c.id for c in answer.citations} == {faq_id}


@pytest.mark.parametrize("question", NEAR_MISSES)
def test_near_misses_do_not_match(shipped: Container, question: str) -> None:
    assert ask(shipped, question) is None


def test_threshold_is_the_setting(shipped: Container) -> None:
    assert shipped.faq_strategy.threshold == shipped.settings.retrieval.faq_threshold
    best = shipped.faq_strategy.best("Wat doet het zorgkantoor?")
    assert best is not None and best.score < shipped.faq_strategy.threshold


def test_faq_index_matches_the_store_and_follows_writes() -> None:
    """Local mode keeps the phrasings in memory: same hits as Qdrant's filtered query, and a
    write through the store (a re-ingest) is picked up without a restart."""
    rng = np.random.default_rng(5)

    def chunk(i: int, kind: str) -> Chunk:
        return Chunk(
            id=str(uuid.UUID(int=i + 1)),
            doc_id=f"{kind}-{i}",
            title=f"{kind} {i}",
            law=Law.wmo,
            sources=(),
            heading_path=(),
            text=f"tekst {i}",
            kind=kind,
        )

    def unit(rows: int) -> np.ndarray:
        v = rng.normal(size=(rows, 16)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    store = QdrantStore.memory("faq-index")
    store.ensure_collection(16)
    encoder = DutchSparseEncoder()
    first = [chunk(i, "faq" if i % 3 == 0 else "doc") for i in range(60)]
    store.upsert(first, unit(60), [encoder.encode_document(c.text) for c in first])
    index = FaqIndex(store)
    for q in unit(5):
        ours = index.nearest(q, 3)
        native = store.dense_query(q, FAQ_FILTER, limit=3)
        assert [h.chunk.id for h in ours] == [h.chunk.id for h in native]
        assert [h.score for h in ours] == pytest.approx([h.score for h in native], abs=1e-5)
        assert all(h.chunk.kind == "faq" for h in ours)

    query = unit(1)[0]
    new = chunk(100, "faq")
    store.upsert([new], query[None, :], [encoder.encode_document(new.text)])
    assert index.nearest(query, 1)[0].chunk.id == new.id  # the write bumped the revision
    store.delete_docs([new.doc_id])
    index.refresh()
    assert index.nearest(query, 1)[0].chunk.id != new.id
    store.close()
