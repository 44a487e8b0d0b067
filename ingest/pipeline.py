"""Incremental, idempotent ingest: unchanged documents are skipped, changed ones replaced whole,
deleted ones removed. A file that fails to load keeps its previous version in the store."""

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
            "seconds": round(self.seconds, 2),
        }


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


class IngestPipeline:
    def __init__(self, store: VectorStore, embedder: Embedder, sparse: DutchSparseEncoder) -> None:
        self.store = store
        self.embedder = embedder
        self.sparse = sparse

    def plan(self, corpus: Corpus) -> dict[str, tuple[str, list[Chunk]]]:
        """doc_id -> (versioned hash, chunks) for everything that loaded."""
        planned: dict[str, tuple[str, list[Chunk]]] = {}
        for doc in corpus.documents:
            planned[doc.id] = (f"{CHUNKER_VERSION}:{doc.content_hash}", chunk_document(doc))
        for entry in corpus.cards:
            planned[entry.id] = (f"{CHUNKER_VERSION}:{faq_hash(entry)}", faq_chunks(entry))
        return planned

    def run(
        self, corpus: Corpus, rebuild: bool = False, progress: Progress | None = None
    ) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport(problems=list(corpus.problems))
        self.store.ensure_collection(self.embedder.dim)
        planned = self.plan(corpus)
        stored = {} if rebuild else self.store.stored_documents()
        if stored and not planned:
            raise CorpusUnavailable(
                f"the corpus has no documents, the index {len(stored)}: not emptying the index"
            )
        if rebuild:
            self.store.delete_docs(self.store.stored_documents().keys())
        to_write: list[Chunk] = []
        replace: list[str] = []
        for doc_id, (digest, chunks) in planned.items():
            previous = stored.get(doc_id)
            if previous is not None and previous[0] == digest:
                report.unchanged += 1
                continue
            if previous is None:
                report.added += 1
            else:
                report.updated += 1
                replace.append(doc_id)
            to_write.extend(_with_hash(chunk, digest) for chunk in chunks)
        gone = [
            doc_id
            for doc_id, (_, path) in stored.items()
            if doc_id not in planned and path not in corpus.failed_paths
        ]
        report.removed = len(gone)
        self.store.delete_docs([*replace, *gone])
        self.write(to_write, progress)
        report.documents = len(planned)
        report.chunks = sum(len(chunks) for _, chunks in planned.values())
        report.chunks += sum(
            1 for doc_id in stored if doc_id not in planned and doc_id not in gone
        )  # kept: previous versions of files that failed to load this time
        report.seconds = time.perf_counter() - started
        return report

    def write(self, chunks: Sequence[Chunk], progress: Progress | None = None) -> None:
        # Similar lengths in one batch pad less: the same trick sentence-transformers uses
        # inside one encode() call, applied across the whole ingest.
        chunks = sorted(chunks, key=lambda c: len(embedding_text(c)))
        total = len(chunks)
        for start in range(0, total, BATCH):
            batch = chunks[start : start + BATCH]
            dense = self.embed(batch)
            sparse = [self.sparse.encode_document(embedding_text(c)) for c in batch]
            self.store.upsert(batch, dense, sparse)
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


def _with_hash(chunk: Chunk, digest: str) -> Chunk:
    return replace(chunk, doc_hash=digest)
