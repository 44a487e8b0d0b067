"""`wegwijs bench retrieval --json`: latency of Retriever.retrieve() and of its parts.

Synthetic corpus. Passages are recombinations of real corpus sentences (3-6 per passage). Only a
base set of `base` passages (default 1024) is embedded with the real embedder; the rest reuse a
base vector plus small Gaussian noise (sigma 0.02 per dimension, renormalised: cosine ~0.93 to
its base), because embedding 50k passages on 2 CPU cores takes hours. Latency does not depend on
what the vectors mean, only on their count and dimension, so the numbers hold; ranking quality is
not measured here (see `python -m assistant.calibrate_relevance`). Every passage gets its own
real sparse vector from its text.

Per size (1k, 10k, 50k chunks) the points go into a fresh embedded store (Qdrant Edge in a temp
folder, as `make run` uses it), and then, interleaved in the same process, rotating which goes
first:
- retrieve(q): query embedding + sparse encoding + the store's hybrid search + payload parsing
  (the same call `search()` makes: the relevance decision needs no extra query);
- embed(q): the query embedding alone (`embed_queries([q])`);
- store(q): `EdgeStore.hybrid_search` alone, with the query's vectors precomputed;
- floor(q): raw `embed_queries([q])` + the raw Edge call retrieve() makes (one
  `EdgeShard.query_batch`: the filtered dense and sparse prefetches fused by RRF, and the
  filtered dense top 1), with its sparse vector precomputed (so sparse encoding, our lock and
  payload parsing count against retrieve()).
The query-embedding cache is off, so every call embeds. latency_ratio = retrieve p95 / floor p95.
"""

from __future__ import annotations

import json
import random
import statistics
import time
import uuid
from collections.abc import Callable

import numpy as np
import qdrant_edge as qe
import typer

from assistant.calibration import DATA, read_jsonl
from assistant.retrieval import Retriever
from ingest.chunker import chunk_document
from wegwijs.config import Settings
from wegwijs.container import Container
from wegwijs.domain import Chunk, Law
from wegwijs.edge_store import RRF_K, EdgeStore, build_edge_filter
from wegwijs.embedding import Embedder
from wegwijs.readability import sentences as split_sentences
from wegwijs.sparse import DutchSparseEncoder, SparseVector
from wegwijs.vectorstore import DENSE, SPARSE, QueryFilter

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


def measure_size(
    size: int,
    chunks: list[Chunk],
    dense: np.ndarray,
    embedder: Embedder,
    sparse: DutchSparseEncoder,
    settings: Settings,
    queries: list[str],
    rounds: int,
) -> dict[str, float | int]:
    store = EdgeStore.temporary()
    try:
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
        flt = Retriever._filter(None, ())
        # The floor and the store measurement get their vectors for free (precomputed).
        sparse_vectors = {q: sparse.encode_query(q) for q in queries}
        dense_vectors = {q: embedder.embed_queries([q])[0] for q in queries}

        def floor(query: str) -> None:
            vector = embedder.embed_queries([query])[0]
            request = raw_request(vector, sparse_vectors[query], flt, cfg.top_k, cfg.prefetch_k)
            store._require().query_batch(request)

        def store_only(query: str) -> None:
            store.hybrid_search(
                dense_vectors[query], sparse_vectors[query], flt, cfg.top_k, cfg.prefetch_k
            )

        paths: dict[str, Callable[[str], object]] = {
            "retrieve": retriever.retrieve,
            "embed": lambda q: embedder.embed_queries([q]),
            "store": store_only,
            "floor": floor,
        }
        for query in queries[:3]:  # warm up every path
            for fn in paths.values():
                fn(query)
        times: dict[str, list[float]] = {name: [] for name in paths}
        names = list(paths)
        for i in range(rounds):
            query = queries[i % len(queries)]
            for name in names[i % 4 :] + names[: i % 4]:  # rotate which goes first
                fn, started = paths[name], time.perf_counter()
                fn(query)
                times[name].append((time.perf_counter() - started) * 1000)
    finally:
        store.close()
    p95 = {name: percentile(values, 95) for name, values in times.items()}
    return {
        "chunks": size,
        "load_s": round(load_s, 1),
        "retrieve_p50_ms": round(statistics.median(times["retrieve"]), 1),
        "retrieve_p95_ms": round(p95["retrieve"], 1),
        "embed_p95_ms": round(p95["embed"], 1),
        "store_p50_ms": round(statistics.median(times["store"]), 1),
        "store_p95_ms": round(p95["store"], 1),
        "floor_p50_ms": round(statistics.median(times["floor"]), 1),
        "floor_p95_ms": round(p95["floor"], 1),
        "latency_ratio": round(p95["retrieve"] / p95["floor"], 3),
        "retrieve_over_embed_p95": round(p95["retrieve"] / p95["embed"], 2),
        "rounds": rounds,
    }


def raw_request(
    vector: np.ndarray, sparse: SparseVector, flt: QueryFilter, limit: int, prefetch: int
) -> qe.QueryBatchRequest:
    """The batch EdgeStore.hybrid_search sends, built by hand (the floor)."""
    qfilter = build_edge_filter(flt)
    dense = vector.tolist()
    lists = [qe.Prefetch(limit=prefetch, query=qe.Query.Nearest(dense, DENSE), filter=qfilter)]
    if sparse.indices:
        query = qe.Query.Nearest(qe.SparseVector(sparse.indices, sparse.values), SPARSE)
        lists.append(qe.Prefetch(limit=prefetch, query=query, filter=qfilter))
    fused = qe.QueryRequest(
        limit=limit,
        prefetches=lists,
        query=qe.Fusion.Rrf(k=RRF_K),  # type: ignore[arg-type]
        with_payload=True,
    )
    best = qe.QueryRequest(limit=1, query=qe.Query.Nearest(dense, DENSE), filter=qfilter)
    return qe.QueryBatchRequest([fused, best])


def run_retrieval_bench(
    container: Container,
    sizes: tuple[int, ...] = SIZES,
    base: int = 1024,
    rounds: int = 60,
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
        )
        for size in sizes
    ]
    return {
        "mode": "embedded store: Qdrant Edge in a temp folder",
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
) -> None:
    """Meet de snelheid van het zoeken (retrieve) naast de kale ondergrens."""
    container = Container(Settings())
    size_list = tuple(int(s) for s in sizes.split(",") if s.strip())
    result = run_retrieval_bench(container, size_list, base, rounds)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    typer.echo(
        f"{'chunks':>7} {'p50':>8} {'p95':>8} {'embed95':>8} {'store95':>8} {'floor95':>8} "
        f"{'ratio':>6}"
    )
    for row in result["sizes"]:  # type: ignore[attr-defined]
        typer.echo(
            f"{row['chunks']:>7} {row['retrieve_p50_ms']:>8} {row['retrieve_p95_ms']:>8} "
            f"{row['embed_p95_ms']:>8} {row['store_p95_ms']:>8} {row['floor_p95_ms']:>8} "
            f"{row['latency_ratio']:>6}"
        )
