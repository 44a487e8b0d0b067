"""FAQ first: a question close enough to a curated FAQ phrasing gets the approved answer verbatim.

Matching is dense only (question against question, both with e5's "query: " prefix) over the
kind="faq" points, one per phrasing. The answer text comes from the FaqEntry loaded from the
corpus, never from the vector store, so what the coordinator approved is exactly what is shown.
The threshold is `retrieval.faq_threshold`, calibrated with `python -m assistant.calibrate_faq`.

Against a Qdrant server the match is a filtered dense query (payload indexes make it cheap). In
local mode a filter costs a pass over every point in Python, so the phrasings' vectors are read
once into memory (`FaqIndex`, a few hundred rows) and matched with one matrix product. The index
reloads when the store reports a write (`VectorStore.revision`; in local mode this process is the
only writer) and on `refresh()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from assistant.base import AnswerRequest
from assistant.retrieval import Retriever
from wegwijs.domain import Answer, Chunk, Citation, FaqEntry, Route, ScoredChunk, Strategy
from wegwijs.vectorstore import QueryFilter, VectorStore

FAQ_FILTER = QueryFilter(kinds=("faq",))
CANDIDATES = 3  # closest phrasings looked at (points of retired entries are skipped)


@dataclass(frozen=True)
class FaqTable:
    revision: int | None  # the store revision it was read at; None: read again
    phrasings: list[Chunk]
    vectors: np.ndarray  # one unit row per phrasing


class FaqIndex:
    """The FAQ phrasings' unit vectors in memory, reloaded when the store changed.

    The table is replaced as a whole, so a question answered in another thread during a reload
    sees either the old or the new table, never a mix.
    """

    def __init__(self, store: VectorStore) -> None:
        self.store = store
        self._table = FaqTable(None, [], np.zeros((0, 0), dtype=np.float32))

    def refresh(self) -> None:
        self._table = FaqTable(None, self._table.phrasings, self._table.vectors)

    def nearest(self, query: np.ndarray, limit: int) -> list[ScoredChunk]:
        table = self._table
        if table.revision is None or table.revision != self.store.revision:
            revision = self.store.revision
            table = FaqTable(revision, *self.store.dense_points(FAQ_FILTER))
            self._table = table
        if not table.phrasings:
            return []
        q = np.asarray(query, dtype=np.float32)
        scores = table.vectors @ (q / (np.linalg.norm(q) or 1.0))
        top = np.argsort(-scores, kind="stable")[:limit]
        return [ScoredChunk(table.phrasings[i], float(scores[i])) for i in top]


@dataclass(frozen=True)
class FaqMatch:
    entry: FaqEntry
    score: float
    phrasing: ScoredChunk


class FaqStrategy:
    def __init__(
        self,
        retriever: Retriever,
        store: VectorStore,
        entries: Iterable[FaqEntry],
        threshold: float,
    ) -> None:
        self.retriever = retriever
        self.store = store
        self.entries = {entry.id: entry for entry in entries if not entry.retired}
        self.threshold = threshold
        self.index = None if store.native_filters else FaqIndex(store)

    def refresh(self, entries: Iterable[FaqEntry] | None = None) -> None:
        """Call after a re-ingest: reload the phrasings (and the entries, when given)."""
        if entries is not None:
            self.entries = {entry.id: entry for entry in entries if not entry.retired}
        if self.index is not None:
            self.index.refresh()

    def best(self, question: str) -> FaqMatch | None:
        """The closest FAQ phrasing, whatever its score (None when no FAQ is indexed)."""
        if not self.entries:
            return None
        query = self.retriever.embed_query(question)
        if self.index is not None:
            hits = self.index.nearest(query, CANDIDATES)
        else:
            hits = self.store.dense_query(query, FAQ_FILTER, limit=CANDIDATES)
        for hit in hits:  # skip points of entries that are no longer in the corpus
            entry = self.entries.get(hit.chunk.doc_id)
            if entry is not None:
                return FaqMatch(entry, hit.score, hit)
        return None

    def match(self, question: str) -> FaqMatch | None:
        found = self.best(question)
        return found if found is not None and found.score >= self.threshold else None

    async def answer(self, request: AnswerRequest, passages: list[ScoredChunk]) -> Answer | None:
        return self.answer_now(request)

    def answer_now(self, request: AnswerRequest) -> Answer | None:
        """Blocking form (the embedding runs on the CPU); the engine calls it in a thread."""
        found = self.match(request.question)
        if found is None:
            return None
        return Answer(
            route=Route.answer,
            strategy=Strategy.faq,
            answer=found.entry.answer,
            citations=faq_citations(found.entry),
            retrieved=[found.phrasing],
        )


def faq_citations(entry: FaqEntry) -> list[Citation]:
    """One citation per approved source. The quote is empty: the answer itself is the FAQ's."""
    return [
        Citation(
            id=entry.id,
            title=entry.question,
            url=url,
            law=entry.law.value,
            heading="",
            quote="",
        )
        for url in entry.sources
    ]
