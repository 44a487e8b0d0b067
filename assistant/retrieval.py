"""Hybrid retrieval: one query embedding, one sparse vector, one fused Qdrant query.

Relevance. Reciprocal-rank fusion scores only say how a chunk ranks, not whether anything
matches at all, so "nothing relevant" is decided on the dense cosine of the best chunk in the
filtered collection. The store returns it with the passages (`HybridHits.best_dense`): local
mode reads it off the dense list of the same search, a server answers it in the same batch, so
the relevance check costs no second pass over the collection.
Measured on assistant/data/retrieval_eval.jsonl with multilingual-e5-small ("query: " against
"passage: "): in-scope questions score 0.850-0.95, off-topic ones 0.77-0.855, so the cut-off
`retrieval.min_relevance` = 0.845 keeps all 54 in-scope questions and refuses 17 of 20 off-topic
ones (0.85 refuses 18 of 20 but sits on the lowest in-scope score). Re-run
`python -m assistant.calibrate_relevance` after changing the model or the corpus.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from wegwijs.config import Settings
from wegwijs.domain import ScoredChunk
from wegwijs.embedding import Embedder
from wegwijs.sparse import DutchSparseEncoder
from wegwijs.vectorstore import HybridHits, QueryFilter, VectorStore

QUERY_CACHE = 256  # the FAQ matcher and the retriever share one embedding per question


@dataclass
class Retrieval:
    """The passages for one question plus the evidence for "is anything relevant"."""

    passages: list[ScoredChunk] = field(default_factory=list)
    relevance: float = 0.0  # dense cosine of the best matching chunk (0 when the store is empty)
    relevant: bool = False


class Retriever:
    def __init__(
        self,
        embedder: Embedder,
        sparse: DutchSparseEncoder,
        store: VectorStore,
        settings: Settings,
        query_cache: int = QUERY_CACHE,
    ) -> None:
        self.embedder = embedder
        self.sparse = sparse
        self.store = store
        self.settings = settings
        self.query_cache = query_cache  # 0 disables the cache (the benchmark measures misses)
        # functools' LRU keeps itself consistent when worker threads (asyncio.to_thread) call it
        # at once; the hand-rolled OrderedDict it replaces raised KeyError under that race.
        self._cached_query = lru_cache(maxsize=query_cache)(self._embed_one)

    def _embed_one(self, query: str) -> np.ndarray:
        return self.embedder.embed_queries([query])[0]

    def embed_query(self, query: str) -> np.ndarray:
        """The e5 query vector, cached per text so FAQ matching and retrieval embed once."""
        if not self.query_cache:
            return self._embed_one(query)
        return self._cached_query(query)

    def retrieve(
        self, query: str, municipality: str | None = None, laws: Sequence[str] = ()
    ) -> list[ScoredChunk]:
        """Top-k document chunks, fused dense + sparse; general documents plus the gemeente's."""
        return self._hybrid(query, municipality, laws).passages

    def search(
        self, query: str, municipality: str | None = None, laws: Sequence[str] = ()
    ) -> Retrieval:
        """retrieve() plus the relevance decision the answer strategies need (same one query)."""
        hits = self._hybrid(query, municipality, laws)
        if not hits.passages:
            return Retrieval()
        return Retrieval(
            passages=hits.passages,
            relevance=hits.best_dense,
            relevant=hits.best_dense >= self.settings.retrieval.min_relevance,
        )

    def _hybrid(self, query: str, municipality: str | None, laws: Sequence[str]) -> HybridHits:
        cfg = self.settings.retrieval
        return self.store.hybrid_search(
            self.embed_query(query),
            self.sparse.encode_query(query),
            self._filter(municipality, laws),
            limit=cfg.top_k,
            prefetch=cfg.prefetch_k,
        )

    @staticmethod
    def _filter(municipality: str | None, laws: Sequence[str]) -> QueryFilter:
        return QueryFilter(kinds=("doc",), laws=tuple(laws), municipality=municipality)
