"""Our Dutch sparse encoder (wegwijs/sparse.py) against Qdrant Edge's built-in BM25 (Dutch
stemmer and stopwords), on the shipped corpus and assistant/data/retrieval_eval.jsonl.

`python -m eval.sparse_compare` prints JSON: per encoder the sparse list alone and the
hybrid search the chat runs (same dense vectors, same store, same filter), as hit@k (an
expected document among the top k passages) and MRR of the first expected document, plus the
encoding time per chunk and per question. The numbers are in the README (Retrieval).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import qdrant_edge as qe

from assistant.calibration import DATA, read_jsonl
from assistant.retrieval import Retriever
from ingest.chunker import embedding_text
from wegwijs.config import Settings
from wegwijs.container import Container
from wegwijs.edge_store import EdgeStore
from wegwijs.sparse import DutchSparseEncoder, SparseVector

Encode = Callable[[str], SparseVector]


def edge_bm25(**config: Any) -> tuple[Encode, Encode]:
    model = qe.Bm25(qe.Bm25Config(language="dutch", **config))

    def wrap(fn: Callable[[str], qe.SparseVector]) -> Encode:
        def encode(text: str) -> SparseVector:
            vector = fn(text)
            return SparseVector(list(vector.indices), list(vector.values))

        return encode

    return wrap(model.embed_document), wrap(model.embed_query)


def rank_of(doc_ids: list[str], expected: set[str]) -> int | None:
    for rank, doc_id in enumerate(doc_ids, 1):
        if doc_id in expected:
            return rank
    return None


def compare(container: Container) -> dict[str, Any]:
    settings = container.settings
    pipeline = container.ingest_pipeline
    planned = pipeline.plan(container.load_corpus())
    chunks = [c for _, cs in planned.values() for c in cs if c.kind == "doc"]
    dense = pipeline.embed(chunks)
    texts = [embedding_text(c) for c in chunks]
    rows = [r for r in read_jsonl(DATA / "retrieval_eval.jsonl") if r["doc_ids"]]
    questions = [r["text"] for r in rows]
    vectors = container.embedder.embed_queries(questions)
    ours = DutchSparseEncoder()
    encoders: dict[str, tuple[Encode, Encode]] = {
        "ours": (ours.encode_document, ours.encode_query),
        "edge_bm25": edge_bm25(),
        "edge_bm25_avg120": edge_bm25(avg_len=120.0),
    }
    cfg = settings.retrieval
    flt = Retriever._filter(None, ())
    out: dict[str, Any] = {"chunks": len(chunks), "questions": len(rows)}
    for name, (encode_doc, encode_query) in encoders.items():
        started = time.perf_counter()
        docs = [encode_doc(t) for t in texts]
        doc_us = (time.perf_counter() - started) / len(texts) * 1e6
        started = time.perf_counter()
        docs = [encode_doc(t) for t in texts]  # again: our stemmer's cache is warm now
        warm_us = (time.perf_counter() - started) / len(texts) * 1e6
        started = time.perf_counter()
        queries = [encode_query(q) for q in questions]
        query_us = (time.perf_counter() - started) / len(questions) * 1e6
        store = EdgeStore.temporary()
        try:
            store.ensure_collection(dense.shape[1])
            store.upsert(chunks, dense, docs)
            result: dict[str, Any] = {
                "encode_chunk_us": round(doc_us, 1),
                "encode_chunk_us_warm": round(warm_us, 1),
                "encode_query_us": round(query_us, 1),
            }
            for mode in ("sparse_only", "hybrid"):
                ranks = []
                for row, vector, sparse in zip(rows, vectors, queries, strict=True):
                    if mode == "hybrid":
                        hits = store.hybrid_query(vector, sparse, flt, cfg.top_k, cfg.prefetch_k)
                    else:
                        hits = sparse_only(store, sparse, cfg.top_k)
                    ranks.append(rank_of([h.chunk.doc_id for h in hits], set(row["doc_ids"])))
                result[mode] = {
                    "hit@1": sum(r == 1 for r in ranks),
                    f"hit@{cfg.top_k}": sum(r is not None for r in ranks),
                    "mrr": round(sum(1 / r for r in ranks if r) / len(ranks), 3),
                }
        finally:
            store.close()
        out[name] = result
    return out


def sparse_only(store: EdgeStore, sparse: SparseVector, limit: int) -> list[Any]:
    """The filtered sparse list alone, through the same engine."""
    from wegwijs.edge_store import _scored, build_edge_filter
    from wegwijs.vectorstore import SPARSE

    if not sparse.indices:
        return []
    request = qe.QueryRequest(
        limit=limit,
        query=qe.Query.Nearest(qe.SparseVector(sparse.indices, sparse.values), SPARSE),
        filter=build_edge_filter(Retriever._filter(None, ())),
        with_payload=True,
    )
    return [_scored(p) for p in store._require().query(request)]


if __name__ == "__main__":
    print(json.dumps(compare(Container(Settings())), indent=2))
