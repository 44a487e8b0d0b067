"""Incremental, idempotent ingest: unchanged documents are skipped, changed ones replaced whole,
deleted ones removed. A file that fails to load keeps its previous version in the store.

No holes: a changed document's new version is written first (its points overwrite the old ones
in place, ids are per document and position), and only then are the old version's leftover
points deleted, so a reader always finds some version of every document. Every point records
its version's hash and point count (`doc_hash`, `doc_chunks`); a document whose stored points
are not exactly its planned version (fewer, or leftovers, as a killed ingest leaves them) is
written again and reported as repaired. `rebuild` fills `store.staged()` and makes it live with
`switch_to` only when it is complete. tests/test_ingest_crash.py kills ingest with SIGKILL.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ingest.chunker import NAMESPACE, chunk_document, embedding_text
from ingest.corpus import Corpus, CorpusUnavailable, faq_hash
from ingest.problems import Problem
from wegwijs.domain import Card, Chunk
from wegwijs.embedding import Embedder
from wegwijs.sparse import DutchSparseEncoder
from wegwijs.vectorstore import VectorStore

CHUNKER_VERSION = "2"  # bump to re-embed everything after a chunking change
BATCH = 256  # chunks per embed + upsert round; sorted by length to keep padding low

Progress = Callable[[int, int], None]  # (chunks done, chunks to do)


@dataclass
class IngestReport:
    documents: int = 0
    chunks: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    repaired: int = 0  # same version, but incomplete or with leftovers (an interrupted ingest)
    rebuilt: bool = False
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "documents": self.documents,
            "chunks": self.chunks,
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "repaired": self.repaired,
            "rebuilt": self.rebuilt,
            "seconds": round(self.seconds, 2),
        }


STATE_FIELDS = ("doc_id", "doc_hash", "path", "doc_chunks")


@dataclass
class StoredDoc:
    """What the store holds of one document: point id -> (hash, recorded point count)."""

    path: str = ""
    points: dict[str, tuple[str, int]] = field(default_factory=dict)

    def has(self, digest: str) -> bool:
        return any(h == digest for h, _ in self.points.values())

    def whole(self, digest: str, ids: set[str]) -> bool:
        """Exactly the planned version: its points, each with its hash and count, no others."""
        return set(self.points) == ids and all(
            v == (digest, len(ids)) for v in self.points.values()
        )

    def complete(self, digest: str, ids: set[str]) -> bool:
        """The planned version is all there (leftovers of another version may be too)."""
        return all(self.points.get(i) == (digest, len(ids)) for i in ids)


def stored_state(store: VectorStore) -> dict[str, StoredDoc]:
    docs: dict[str, StoredDoc] = {}
    for point_id, payload in store.point_payloads(STATE_FIELDS):
        doc = docs.setdefault(str(payload.get("doc_id", "")), StoredDoc())
        doc.path = str(payload.get("path", ""))
        count = payload.get("doc_chunks", 0)
        doc.points[point_id] = (
            str(payload.get("doc_hash", "")),
            count if isinstance(count, int) else 0,
        )
    return docs


def faq_chunks(entry: Card) -> list[Chunk]:
    """A card's points: one per phrasing (question and each variant, kind "faq", embedded as
    queries), so matching takes the best one; and one for the card as a whole (kind "card":
    question + answer, embedded as a passage)."""
    digest = faq_hash(entry)
    phrasings = [
        Chunk(
            id=str(uuid.uuid5(NAMESPACE, f"{entry.id}:{position}")),
            doc_id=entry.id,
            title=entry.question,
            law=entry.law,
            sources=entry.sources,
            heading_path=(),
            text=phrasing,
            kind="faq",
            doc_hash=digest,
            position=position,
            path=entry.path,
            read_more=entry.read_more.url if entry.read_more else "",
            legal=tuple(item.label for item in entry.legal),
        )
        for position, phrasing in enumerate((entry.question, *entry.variants))
    ]
    whole = replace(
        phrasings[0],
        id=str(uuid.uuid5(NAMESPACE, f"{entry.id}:card")),
        text=f"{entry.question}\n{entry.answer}",
        kind="card",
        position=len(phrasings),
    )
    return [*phrasings, whole]


def plan(corpus: Corpus) -> dict[str, tuple[str, list[Chunk]]]:
    """doc_id -> (versioned hash, chunks) for everything that loaded."""
    planned: dict[str, tuple[str, list[Chunk]]] = {}
    for doc in corpus.documents:
        planned[doc.id] = (f"{CHUNKER_VERSION}:{doc.content_hash}", chunk_document(doc))
    for entry in corpus.cards:
        planned[entry.id] = (f"{CHUNKER_VERSION}:{faq_hash(entry)}", faq_chunks(entry))
    return planned


class IngestPipeline:
    def __init__(self, store: VectorStore, embedder: Embedder, sparse: DutchSparseEncoder) -> None:
        self.store = store
        self.embedder = embedder
        self.sparse = sparse

    def plan(self, corpus: Corpus) -> dict[str, tuple[str, list[Chunk]]]:
        return plan(corpus)

    def run(
        self, corpus: Corpus, rebuild: bool = False, progress: Progress | None = None
    ) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport(problems=list(corpus.problems), rebuilt=rebuild)
        self.store.ensure_collection(self.embedder.dim)
        planned = self.plan(corpus)
        stored = stored_state(self.store)
        if stored and not planned:
            raise CorpusUnavailable(
                f"the corpus has no documents, the index {len(stored)}: not emptying the index"
            )
        report.documents = len(planned)
        report.chunks = sum(len(chunks) for _, chunks in planned.values())
        if rebuild:
            self.rebuild(planned, progress)
            report.added = len(planned)  # all written anew, into a new collection
            report.removed = sum(1 for doc_id in stored if doc_id not in planned)
            report.seconds = time.perf_counter() - started
            return report
        to_write: list[Chunk] = []
        stale: list[str] = []  # points to delete once the new versions are written
        for doc_id, (digest, chunks) in planned.items():
            ids = {chunk.id for chunk in chunks}
            previous = stored.get(doc_id)
            if previous is not None:
                stale.extend(i for i in previous.points if i not in ids)
            if previous is not None and previous.whole(digest, ids):
                report.unchanged += 1
                continue
            if previous is None:
                report.added += 1
            elif previous.has(digest):
                report.repaired += 1  # an ingest stopped halfway through this document
            else:
                report.updated += 1
            if previous is None or not previous.complete(digest, ids):
                to_write.extend(_versioned(chunk, digest, len(chunks)) for chunk in chunks)
        for doc_id, doc in stored.items():
            if doc_id in planned:
                continue
            if doc.path in corpus.failed_paths:  # kept: the previous version of a broken file
                report.chunks += len(doc.points)
                continue
            report.removed += 1
            stale.extend(doc.points)
        self.write(to_write, progress)
        self.store.delete_points(stale)
        report.seconds = time.perf_counter() - started
        return report

    def rebuild(
        self, planned: dict[str, tuple[str, list[Chunk]]], progress: Progress | None
    ) -> None:
        """Everything again into a staged store, made live only once it is complete."""
        staged = self.store.staged(self.embedder.dim)
        chunks = [
            _versioned(chunk, digest, len(doc_chunks))
            for digest, doc_chunks in planned.values()
            for chunk in doc_chunks
        ]
        self.write(chunks, progress, staged)
        self.store.switch_to(staged)

    def write(
        self,
        chunks: Sequence[Chunk],
        progress: Progress | None = None,
        store: VectorStore | None = None,
    ) -> None:
        store = store or self.store
        # Similar lengths in one batch pad less: the same trick sentence-transformers uses
        # inside one encode() call, applied across the whole ingest.
        chunks = sorted(chunks, key=lambda c: len(embedding_text(c)))
        total = len(chunks)
        for start in range(0, total, BATCH):
            batch = chunks[start : start + BATCH]
            dense = self.embed(batch)
            sparse = [self.sparse.encode_document(embedding_text(c)) for c in batch]
            store.upsert(batch, dense, sparse)
            if progress:
                progress(min(start + BATCH, total), total)

    def embed(self, chunks: Sequence[Chunk]) -> np.ndarray:
        docs = [i for i, c in enumerate(chunks) if c.kind != "faq"]
        faqs = [i for i, c in enumerate(chunks) if c.kind == "faq"]
        out = np.zeros((len(chunks), self.embedder.dim), dtype=np.float32)
        if docs:
            out[docs] = self.embedder.embed_passages([embedding_text(chunks[i]) for i in docs])
        if faqs:  # questions against questions: e5's symmetric "query: " form on both sides
            out[faqs] = self.embedder.embed_queries([chunks[i].text for i in faqs])
        return out


def _versioned(chunk: Chunk, digest: str, doc_chunks: int) -> Chunk:
    return replace(chunk, doc_hash=digest, doc_chunks=doc_chunks)
