"""`wegwijs bench ingest`: pipeline throughput against the raw embedding floor, same process.

The embedding is the physical floor of ingest; everything else (loading, chunking, sparse
vectors, upserts) is overhead. `throughput_ratio` = pipeline chunks/s / raw encode chunks/s.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from ingest.chunker import chunk_document, embedding_text
from ingest.corpus import Corpus, load_corpus
from ingest.loaders import load_document
from ingest.pipeline import IngestPipeline
from wegwijs.config import Settings
from wegwijs.container import Container
from wegwijs.edge_store import EdgeStore
from wegwijs.embedding import SentenceTransformerEmbedder
from wegwijs.readability import sentences
from wegwijs.sparse import DutchSparseEncoder

SYNTHETIC_WORDS_PER_SECTION = 110


def synthetic_corpus(source: Corpus, target: Path, chunks: int, seed: int = 7) -> None:
    """Write documents whose sections recombine real corpus sentences, until the chunker
    makes at least `chunks` chunks of them."""
    rng = random.Random(seed)
    pool = [s for doc in source.documents for s in sentences(doc.text) if len(s.split()) > 3]
    per_doc = 8
    made = 0
    number = -1
    while made < chunks:
        number += 1
        parts = [f"# Synthetisch document {number}\n"]
        for section in range(per_doc):
            words, body = 0, []
            while words < SYNTHETIC_WORDS_PER_SECTION:
                sentence = rng.choice(pool)
                body.append(sentence)
                words += len(sentence.split())
            parts.append(f"## Onderdeel {section}\n\n{' '.join(body)}\n")
        path = target / "docs" / "synth" / f"synth-{number:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        front = (
            f"---\nid: synth-{number:05d}\ntitle: Synthetisch document {number}\nlaw: wmo\n"
            "sources: [https://wetten.overheid.nl/BWBR0035362]\nchecked: 2026-11-20\n"
            "review_by: 2099-01-01\n---\n"
        )
        path.write_text(front + "\n".join(parts), "utf-8")
        doc, _ = load_document(path, target, date.today())
        made += len(chunk_document(doc)) if doc else 0


def measure(
    corpus_root: Path, embedder: SentenceTransformerEmbedder, store_dir: Path
) -> dict[str, Any]:
    corpus = load_corpus(corpus_root)
    texts = [embedding_text(chunk) for doc in corpus.documents for chunk in chunk_document(doc)]
    embedder.embed_passages(texts[:16])  # warm-up
    started = time.perf_counter()
    embedder.model.encode(  # raw sentence-transformers, no pipeline around it
        [embedder.passage_prefix + t for t in texts],
        batch_size=embedder.batch_size,
        normalize_embeddings=True,
        show_progress_bar=False,
    )
    raw_seconds = time.perf_counter() - started
    store = EdgeStore.open(store_dir)
    try:
        pipeline = IngestPipeline(store, embedder, DutchSparseEncoder())
        started = time.perf_counter()
        report = pipeline.run(load_corpus(corpus_root), rebuild=True)
        pipeline_seconds = time.perf_counter() - started
    finally:
        store.close()
    raw_rate = len(texts) / raw_seconds
    pipe_rate = report.chunks / pipeline_seconds
    return {
        "documents": report.documents,
        "chunks": report.chunks,
        "raw_encode_chunks_per_s": round(raw_rate, 2),
        "pipeline_chunks_per_s": round(pipe_rate, 2),
        "throughput_ratio": round(pipe_rate / raw_rate, 3),
    }


def bench_ingest(settings: Settings, synthetic_chunks: int = 10_000) -> dict[str, Any]:
    container = Container(settings)
    embedder = container.embedder
    assert isinstance(embedder, SentenceTransformerEmbedder)
    work = Path(tempfile.mkdtemp(prefix="wegwijs-bench-"))
    try:
        shipped = measure(settings.corpus_dir, embedder, work / "q-shipped")
        synth_root = work / "synthetic"
        synthetic_corpus(load_corpus(settings.corpus_dir), synth_root, synthetic_chunks)
        synthetic = measure(synth_root, embedder, work / "q-synthetic")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"shipped": shipped, "synthetic": synthetic}
