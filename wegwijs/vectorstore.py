"""The vector store seam: Qdrant in local mode (embedded default), in memory (tests), or a server.

Local mode allows one process per folder, so in the embedded default the chat app owns the
store; the CLI reaches a running app over HTTP instead of opening the folder (see ingest.remote).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from qdrant_client import QdrantClient, models

from wegwijs.domain import Chunk, ScoredChunk
from wegwijs.sparse import SparseVector

DENSE = "dense"
SPARSE = "sparse"


class StoreLockedError(RuntimeError):
    """The local Qdrant folder is held by another process (normally the running chat app)."""


@dataclass(frozen=True)
class QueryFilter:
    kinds: tuple[str, ...] = ("doc",)
    laws: tuple[str, ...] = ()
    municipality: str | None = None  # general documents plus this gemeente's own


class VectorStore(Protocol):
    def ensure_collection(self, dim: int) -> None: ...
    def stored_documents(self) -> dict[str, tuple[str, str]]: ...
    def upsert(
        self, chunks: Sequence[Chunk], dense: np.ndarray, sparse: Sequence[SparseVector]
    ) -> None: ...
    def delete_docs(self, doc_ids: Iterable[str]) -> None: ...
    def count(self) -> int: ...
    def hybrid_query(
        self, dense: np.ndarray, sparse: SparseVector, flt: QueryFilter, limit: int, prefetch: int
    ) -> list[ScoredChunk]: ...
    def dense_query(self, dense: np.ndarray, flt: QueryFilter, limit: int) -> list[ScoredChunk]: ...
    def close(self) -> None: ...


def build_filter(flt: QueryFilter) -> models.Filter:
    must: list[models.Condition] = [
        models.FieldCondition(key="kind", match=models.MatchAny(any=list(flt.kinds)))
    ]
    if flt.laws:
        must.append(models.FieldCondition(key="law", match=models.MatchAny(any=list(flt.laws))))
    general = models.IsEmptyCondition(is_empty=models.PayloadField(key="municipalities"))
    if flt.municipality:
        local = models.FieldCondition(
            key="municipalities", match=models.MatchValue(value=flt.municipality)
        )
        must.append(models.Filter(should=[general, local]))
    else:
        must.append(general)
    return models.Filter(must=must)


class QdrantStore:
    def __init__(
        self, client: QdrantClient, collection: str, payload_indexes: bool = False
    ) -> None:
        self.client = client
        self.collection = collection
        self.payload_indexes = payload_indexes  # only a Qdrant server uses them

    @classmethod
    def local(cls, path: Path, collection: str) -> QdrantStore:
        path.mkdir(parents=True, exist_ok=True)
        try:
            client = QdrantClient(path=str(path))
        except RuntimeError as exc:
            if "already accessed" in str(exc):
                raise StoreLockedError(str(path)) from exc
            raise
        return cls(client, collection)

    @classmethod
    def memory(cls, collection: str) -> QdrantStore:
        return cls(QdrantClient(location=":memory:"), collection)

    @classmethod
    def server(cls, url: str, api_key: str, collection: str) -> QdrantStore:
        return cls(QdrantClient(url=url, api_key=api_key or None), collection, payload_indexes=True)

    def ensure_collection(self, dim: int) -> None:
        if self.client.collection_exists(self.collection):
            info = self.client.get_collection(self.collection)
            vectors = info.config.params.vectors
            size = vectors[DENSE].size if isinstance(vectors, dict) else None
            if size == dim:
                return
            self.client.delete_collection(self.collection)  # embedder changed: rebuild
        self.client.create_collection(
            self.collection,
            vectors_config={DENSE: models.VectorParams(size=dim, distance=models.Distance.COSINE)},
            sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
        )
        if self.payload_indexes:
            for field in ("doc_id", "kind", "law", "municipalities"):
                self.client.create_payload_index(
                    self.collection, field, models.PayloadSchemaType.KEYWORD
                )

    def stored_documents(self) -> dict[str, tuple[str, str]]:
        """doc_id -> (content hash, corpus path) of everything in the collection."""
        hashes: dict[str, tuple[str, str]] = {}
        offset = None
        while True:
            points, offset = self.client.scroll(
                self.collection,
                limit=1024,
                offset=offset,
                with_payload=["doc_id", "doc_hash", "path"],
                with_vectors=False,
            )
            for point in points:
                payload = point.payload or {}
                hashes[str(payload["doc_id"])] = (
                    str(payload.get("doc_hash", "")),
                    str(payload.get("path", "")),
                )
            if offset is None:
                return hashes

    def upsert(
        self, chunks: Sequence[Chunk], dense: np.ndarray, sparse: Sequence[SparseVector]
    ) -> None:
        points = [
            models.PointStruct(
                id=chunk.id,
                vector={
                    DENSE: dense[i].tolist(),
                    SPARSE: models.SparseVector(indices=sparse[i].indices, values=sparse[i].values),
                },
                payload=chunk.payload(),
            )
            for i, chunk in enumerate(chunks)
        ]
        if points:
            self.client.upsert(self.collection, points=points, wait=True)

    def delete_docs(self, doc_ids: Iterable[str]) -> None:
        ids = list(doc_ids)
        if not ids:
            return
        selector = models.FilterSelector(
            filter=models.Filter(
                must=[models.FieldCondition(key="doc_id", match=models.MatchAny(any=ids))]
            )
        )
        self.client.delete(self.collection, points_selector=selector, wait=True)

    def count(self) -> int:
        return int(self.client.count(self.collection, exact=True).count)

    def hybrid_query(
        self, dense: np.ndarray, sparse: SparseVector, flt: QueryFilter, limit: int, prefetch: int
    ) -> list[ScoredChunk]:
        qfilter = build_filter(flt)
        prefetches = [
            models.Prefetch(query=dense.tolist(), using=DENSE, limit=prefetch, filter=qfilter)
        ]
        if sparse.indices:
            prefetches.append(
                models.Prefetch(
                    query=models.SparseVector(indices=sparse.indices, values=sparse.values),
                    using=SPARSE,
                    limit=prefetch,
                    filter=qfilter,
                )
            )
        result = self.client.query_points(
            self.collection,
            prefetch=prefetches,
            query=models.FusionQuery(fusion=models.Fusion.RRF),
            limit=limit,
            with_payload=True,
        )
        return [
            ScoredChunk(Chunk.from_payload(str(p.id), p.payload or {}), float(p.score))
            for p in result.points
        ]

    def dense_query(self, dense: np.ndarray, flt: QueryFilter, limit: int) -> list[ScoredChunk]:
        result = self.client.query_points(
            self.collection,
            query=dense.tolist(),
            using=DENSE,
            query_filter=build_filter(flt),
            limit=limit,
            with_payload=True,
        )
        return [
            ScoredChunk(Chunk.from_payload(str(p.id), p.payload or {}), float(p.score))
            for p in result.points
        ]

    def close(self) -> None:
        self.client.close()
