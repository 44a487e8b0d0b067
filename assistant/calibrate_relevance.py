"""Retrieval quality and `retrieval.min_relevance`: `python -m assistant.calibrate_relevance`.

Uses assistant/data/retrieval_eval.jsonl: {"text", "doc_ids"} where doc_ids lists the documents
that answer the question (any of them counts as a hit) or is null for an out-of-scope question.
The shipped corpus is indexed in memory with the real embedder. Prints hit@k of the hybrid
retriever (and of dense-only, for comparison) and, per threshold, the share of in-scope questions
kept and of out-of-scope questions refused. min_relevance should refuse (nearly) all
out-of-scope questions while keeping (nearly) all in-scope ones.
"""

from __future__ import annotations

import json

import typer

from assistant.calibration import DATA, grid, read_jsonl
from wegwijs.config import Settings, VectorStoreSettings
from wegwijs.container import Container
from wegwijs.vectorstore import QueryFilter


def evaluate(container: Container) -> dict[str, object]:
    rows = read_jsonl(DATA / "retrieval_eval.jsonl")
    container.ingest_pipeline.run(container.corpus)
    retriever = container.retriever
    k = container.settings.retrieval.top_k
    hits = dense_hits = 0
    inscope: list[float] = []
    offscope: list[float] = []
    misses = []
    for row in rows:
        found = retriever.search(row["text"])
        if row["doc_ids"] is None:
            offscope.append(found.relevance)
            continue
        inscope.append(found.relevance)
        doc_ids = [p.chunk.doc_id for p in found.passages[:k]]
        dense = container.store.dense_query(
            retriever.embed_query(row["text"]), QueryFilter(), limit=k
        )
        hit = any(d in row["doc_ids"] for d in doc_ids)
        hits += hit
        dense_hits += any(p.chunk.doc_id in row["doc_ids"] for p in dense)
        if not hit:
            misses.append({"text": row["text"], "expected": row["doc_ids"], "got": doc_ids})
    sweep = [
        {
            "threshold": t,
            "in_scope_kept": round(sum(s >= t for s in inscope) / len(inscope), 3),
            "out_of_scope_refused": round(sum(s < t for s in offscope) / len(offscope), 3),
        }
        for t in grid(0.78, 0.88, 0.005)
    ]
    return {
        "questions": len(inscope),
        "out_of_scope": len(offscope),
        f"hit@{k}_hybrid": round(hits / len(inscope), 3),
        f"hit@{k}_dense": round(dense_hits / len(inscope), 3),
        "in_scope_relevance_min": round(min(inscope), 3),
        "out_of_scope_relevance_max": round(max(offscope), 3),
        "sweep": sweep,
        "misses": misses,
    }


def main() -> None:
    container = Container(Settings(vector_store=VectorStoreSettings(mode="memory")))
    print(json.dumps(evaluate(container), indent=2, ensure_ascii=False))
    container.close()


if __name__ == "__main__":
    typer.run(main)
