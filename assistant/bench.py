"""`wegwijs bench retrieval --json`: latency of Retriever.retrieve() against the raw floor.

Synthetic corpus. Passages are recombinations of real corpus sentences (3-6 per passage). Only a
base set of `base` passages (default 1024) is embedded with the real embedder; the rest reuse a
base vector plus small Gaussian noise (sigma 0.02 per dimension, renormalised: cosine ~0.93 to
its base), because embedding 50k passages on 2 CPU cores takes hours. Latency does not depend on
what the vectors mean, only on their count and dimension, so the numbers hold; ranking quality is
not measured here (see `python -m assistant.calibrate_relevance`). Every passage gets its own
real sparse vector from its text.

Per size (1k, 10k, 50k chunks) the points go into a fresh embedded Qdrant (qdrant_client's
in-process engine, in memory by default; `--on-disk` uses a temp folder, which runs the same search
code and only makes loading slower), and then, interleaved in the same process and alternating
which goes first:
- retrieve(q): query embedding + sparse encoding + the store's hybrid search + payload parsing
  (the same call `search()` makes: the relevance decision needs no extra query);
- floor(q): raw `embed_queries([q])` + the raw Qdrant calls retrieve() makes, with its sparse
  vector precomputed (so sparse encoding counts against retrieve()). In local mode (this bench)
  those calls are: one `client.query_batch_points` with the unfiltered dense and sparse lists
  (`prefetch_k` x `WIDEN` deep, payload fields kind/law/municipalities) and one
  `client.retrieve` of top_k ids with their payload (here: the dense list's first top_k). The
  Python filtering and Qdrant's RRF over the two lists count against retrieve().
The query-embedding cache is off, so every call embeds. latency_ratio = retrieve p95 / floor p95.
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import typer

from assistant.calibration import DATA, read_jsonl
from assistant.retrieval import Retriever
from ingest.chunker import chunk_document
from wegwijs.config import Settings
from wegwijs.container import Container
from wegwijs.domain import Chunk, Law
from wegwijs.embedding import Embedder
from wegwijs.readability import sentences as split_sentences
from wegwijs.sparse import DutchSparseEncoder
from wegwijs.vectorstore import QdrantStore, unfiltered_requests

SIZES = (1_000, 10_000, 50_000)
NOISE = 0.02
GEMEENTEN = ("Breda", "Tilburg", "Oosterhout", "Roosendaal")

bench_app = typer.Typer(help="Prestatiemetingen.", no_args_is_help=True)


@bench_app.callback()
def bench_group() -> None:
    """Prestatiemetingen (keeps `bench` a group when it has one command)."""


def sentence_pool(container: Container) -> list[str]:
    corpus = container.load_corpus()
    pool = [
        s for doc in corpus.documents for c in chunk_document(doc) for s in split_sentences(c.text)
    ]
    return [s for s in pool if len(s.split()) >= 5]


def synthetic_chunks(pool: list[str], count: int, rng: random.Random) -> list[Chunk]:
    laws = list(Law)
    out = []
    for i in range(count):
        text = " ".join(rng.sample(pool, rng.randint(3, 6)))
        local = rng.random() < 0.1  # some local documents, so the gemeente filter has work
        out.append(
            Chunk(
                id=str(uuid.UUID(int=rng.getrandbits(128))),
                doc_id=f"synthetic-{i // 8}",
                title=f"Synthetisch document {i // 8}",
                law=laws[i % len(laws)],
                sources=("https://example.org/synthetic",),
                heading_path=(f"Deel {i % 8}",),
                text=text,
                municipalities=(rng.choice(GEMEENTEN),) if local else (),
                position=i % 8,
            )
        )
    return out


def vectors_for(base: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    picks = base[np.arange(count) % len(base)]
    if count <= len(base):
        return picks
    noisy = picks + rng.normal(0.0, NOISE, size=picks.shape).astype(np.float32)
    noisy[: len(base)] = base  # the base vectors themselves stay exact
    return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def measure_size(
    size: int,
    chunks: list[Chunk],
    dense: np.ndarray,
    embedder: Embedder,
    sparse: DutchSparseEncoder,
    settings: Settings,
    queries: list[str],
    rounds: int,
    on_disk: bool = False,
) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory(prefix="wegwijs-bench-") as folder:
        store = QdrantStore.local(Path(folder), "bench") if on_disk else QdrantStore.memory("bench")
        store.ensure_collection(dense.shape[1])
        loaded = time.perf_counter()
        for start in range(0, size, 1024):
            batch = chunks[start : start + 1024]
            store.upsert(
                batch, dense[start : start + 1024], [sparse.encode_document(c.text) for c in batch]
            )
        load_s = time.perf_counter() - loaded
        retriever = Retriever(embedder, sparse, store, settings, query_cache=0)
        cfg = settings.retrieval
        # The floor gets its sparse vectors for free (precomputed): a strict floor.
        sparse_vectors = {q: sparse.encode_query(q) for q in queries}

        def floor(query: str) -> None:
            vector = embedder.embed_queries([query])[0]
            requests = unfiltered_requests(vector, sparse_vectors[query], cfg.prefetch_k)
            lists = store.client.query_batch_points(store.collection, requests)
            top = [p.id for p in lists[0].points[: cfg.top_k]]
            store.client.retrieve(store.collection, top, with_payload=True)

        for query in queries[:3]:  # warm up both paths
            retriever.retrieve(query)
            floor(query)
        ours: list[float] = []
        raw: list[float] = []
        for i in range(rounds):
            query = queries[i % len(queries)]
            pair = [
                ("ours", lambda q=query: retriever.retrieve(q)),
                ("raw", lambda q=query: floor(q)),
            ]
            for name, fn in pair if i % 2 == 0 else reversed(pair):
                (ours if name == "ours" else raw).append(timed(fn))
        store.close()
    p95, f95 = percentile(ours, 95), percentile(raw, 95)
    return {
        "chunks": size,
        "load_s": round(load_s, 1),
        "retrieve_p50_ms": round(statistics.median(ours), 1),
        "retrieve_p95_ms": round(p95, 1),
        "floor_p50_ms": round(statistics.median(raw), 1),
        "floor_p95_ms": round(f95, 1),
        "latency_ratio": round(p95 / f95, 3),
        "rounds": rounds,
    }


def run_retrieval_bench(
    container: Container,
    sizes: tuple[int, ...] = SIZES,
    base: int = 1024,
    rounds: int = 60,
    on_disk: bool = False,
) -> dict[str, object]:
    rng = random.Random(7)
    pool = sentence_pool(container)
    embedder = container.embedder
    largest = max(sizes)
    chunks = synthetic_chunks(pool, largest, rng)
    started = time.perf_counter()
    base_vectors = embedder.embed_passages([c.text for c in chunks[: min(base, largest)]])
    embed_s = time.perf_counter() - started
    dense = vectors_for(base_vectors, largest, np.random.default_rng(7))
    queries = [row["text"] for row in read_jsonl(DATA / "retrieval_eval.jsonl") if row["doc_ids"]]
    results = [
        measure_size(
            size,
            chunks,
            dense,
            embedder,
            container.sparse,
            container.settings,
            queries,
            rounds,
            on_disk,
        )
        for size in sizes
    ]
    return {
        "mode": "embedded qdrant, " + ("on disk" if on_disk else "in memory"),
        "embedder": str(container.settings.model_path.name),
        "base_embedded": len(base_vectors),
        "base_embed_s": round(embed_s, 1),
        "noise_sigma": NOISE,
        "sentence_pool": len(pool),
        "sizes": results,
    }


@bench_app.command("retrieval")
def retrieval_command(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    sizes: str = typer.Option("1000,10000,50000", help="Comma-separated corpus sizes."),
    base: int = typer.Option(1024, help="Passages embedded for real; the rest reuse them + noise."),
    rounds: int = typer.Option(60, help="Interleaved measurements per size."),
    on_disk: bool = typer.Option(False, "--on-disk", help="Qdrant local mode in a temp folder."),
) -> None:
    """Meet de snelheid van het zoeken (retrieve) naast de kale ondergrens."""
    container = Container(Settings())
    size_list = tuple(int(s) for s in sizes.split(",") if s.strip())
    result = run_retrieval_bench(container, size_list, base, rounds, on_disk)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    typer.echo(f"{'chunks':>7} {'p50':>8} {'p95':>8} {'floor50':>8} {'floor95':>8} {'ratio':>6}")
    for row in result["sizes"]:  # type: ignore[attr-defined]
        typer.echo(
            f"{row['chunks']:>7} {row['retrieve_p50_ms']:>8} {row['retrieve_p95_ms']:>8} "
            f"{row['floor_p50_ms']:>8} {row['floor_p95_ms']:>8} {row['latency_ratio']:>6}"
        )
