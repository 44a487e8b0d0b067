"""The vector store seam. The embedded default (and throwaway stores for tests) is Qdrant Edge,
Qdrant's own engine in-process (wegwijs/edge_store.py); production talks to a Qdrant server
through qdrant-client (`QdrantStore` here). Both filter inside the engine through payload
indexes and answer a hybrid search as one batch: filtered dense and sparse prefetches fused by
RRF, and a filtered dense top 1.

`QdrantStore.memory` (qdrant-client's in-process engine) runs the same requests a server gets;
tests/test_vectorstore.py uses it as the reference the embedded store must agree with.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from qdrant_client import QdrantClient, models

from wegwijs.domain import Chunk, ScoredChunk
from wegwijs.sparse import SparseVector

DENSE = "dense"
SPARSE = "sparse"


class StoreLockedError(RuntimeError):
    """The embedded store's folder is held by another process (normally the running chat app)."""


@dataclass(frozen=True)
class QueryFilter:
    kinds: tuple[str, ...] = ("doc",)
    laws: tuple[str, ...] = ()
    municipality: str | None = None  # general documents plus this gemeente's own

    def accepts(self, payload: dict[str, object]) -> bool:
        """The filter's rule in Python (tests check results with it); agrees with build_filter."""
        if payload.get("kind", "doc") not in self.kinds:
            return False
        if self.laws and payload.get("law") not in self.laws:
            return False
        municipalities = payload.get("municipalities")
        if not municipalities:
            return True  # a general document (the key missing, null or [])
        if isinstance(municipalities, str):
            municipalities = [municipalities]
        return isinstance(municipalities, list) and self.municipality in municipalities


@dataclass
class HybridHits:
    """Fused passages plus the dense cosine of the best point that passes the filter.

    `best_dense` is what a filtered dense query with limit 1 returns; the engine answers it in
    the same batch as the fused query.
    """

    passages: list[ScoredChunk] = field(default_factory=list)
    best_dense: float = 0.0


class VectorStore(Protocol):
    native_filters: bool  # True: the engine filters (every store now)

    @property
    def revision(self) -> int: ...
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
    def hybrid_search(
        self, dense: np.ndarray, sparse: SparseVector, flt: QueryFilter, limit: int, prefetch: int
    ) -> HybridHits: ...
    def dense_query(self, dense: np.ndarray, flt: QueryFilter, limit: int) -> list[ScoredChunk]: ...
    def dense_points(self, flt: QueryFilter) -> tuple[list[Chunk], np.ndarray]: ...
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


def search_lists(
    dense: np.ndarray, sparse: SparseVector, depth: int, qfilter: models.Filter | None
) -> list[models.Prefetch]:
    """The dense list, and the sparse one when the question has words the encoder knows."""
    lists = [models.Prefetch(query=dense.tolist(), using=DENSE, limit=depth, filter=qfilter)]
    if sparse.indices:
        lists.append(
            models.Prefetch(
                query=models.SparseVector(indices=sparse.indices, values=sparse.values),
                using=SPARSE,
                limit=depth,
                filter=qfilter,
            )
        )
    return lists


class QdrantStore:
    def __init__(
        self,
        client: QdrantClient,
        collection: str,
        payload_indexes: bool = False,
        shard_number: int | None = None,
        replication_factor: int | None = None,
    ) -> None:
        self.client = client
        self.collection = collection
        # A Qdrant cluster: shards and copies of each shard, set when the collection is made.
        self.shard_number, self.replication_factor = shard_number, replication_factor
        self.payload_indexes = payload_indexes  # only a Qdrant server uses them
        self.native_filters = True
        self._revision = 0

    @property
    def revision(self) -> int:
        """Bumped by every write through this object."""
        return self._revision

    @classmethod
    def memory(cls, collection: str) -> QdrantStore:
        """qdrant-client's in-process engine: the tests' reference for the server path."""
        return cls(QdrantClient(location=":memory:"), collection)

    @classmethod
    def server(
        cls,
        url: str,
        api_key: str,
        collection: str,
        shard_number: int | None = None,
        replication_factor: int | None = None,
    ) -> QdrantStore:
        client = QdrantClient(url=url, api_key=api_key or None)
        return cls(client, collection, True, shard_number, replication_factor)

    def ensure_collection(self, dim: int) -> None:
        if self.client.collection_exists(self.collection):
            info = self.client.get_collection(self.collection)
            vectors = info.config.params.vectors
            size = vectors[DENSE].size if isinstance(vectors, dict) else None
            if size == dim:
                return
            self.client.delete_collection(self.collection)  # embedder changed: rebuild
        self._revision += 1
        self.client.create_collection(
            self.collection,
            vectors_config={DENSE: models.VectorParams(size=dim, distance=models.Distance.COSINE)},
            sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
            shard_number=self.shard_number,
            replication_factor=self.replication_factor,
        )
        if self.payload_indexes:
            for field_name in ("doc_id", "kind", "law", "municipalities"):
                self.client.create_payload_index(
                    self.collection, field_name, models.PayloadSchemaType.KEYWORD
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
            self._revision += 1

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
        self._revision += 1

    def count(self) -> int:
        return int(self.client.count(self.collection, exact=True).count)

    def hybrid_query(
        self, dense: np.ndarray, sparse: SparseVector, flt: QueryFilter, limit: int, prefetch: int
    ) -> list[ScoredChunk]:
        return self.hybrid_search(dense, sparse, flt, limit, prefetch).passages

    def hybrid_search(
        self, dense: np.ndarray, sparse: SparseVector, flt: QueryFilter, limit: int, prefetch: int
    ) -> HybridHits:
        """One batch, one round trip: the filtered prefetches fused by RRF in Qdrant, and the
        filtered dense top 1 for `best_dense`."""
        qfilter = build_filter(flt)
        fused, best = self.client.query_batch_points(
            self.collection,
            [
                models.QueryRequest(
                    prefetch=search_lists(dense, sparse, prefetch, qfilter),
                    query=models.FusionQuery(fusion=models.Fusion.RRF),
                    limit=limit,
                    with_payload=True,
                ),
                models.QueryRequest(
                    query=dense.tolist(), using=DENSE, filter=qfilter, limit=1, with_payload=False
                ),
            ],
        )
        return HybridHits(
            passages=[_scored(p) for p in fused.points],
            best_dense=float(best.points[0].score) if best.points else 0.0,
        )

    def dense_query(self, dense: np.ndarray, flt: QueryFilter, limit: int) -> list[ScoredChunk]:
        result = self.client.query_points(
            self.collection,
            query=dense.tolist(),
            using=DENSE,
            query_filter=build_filter(flt),
            limit=limit,
            with_payload=True,
        )
        return [_scored(p) for p in result.points]

    def dense_points(self, flt: QueryFilter) -> tuple[list[Chunk], np.ndarray]:
        """Every point of the filter with its unit dense vector (for small in-memory indexes)."""
        chunks: list[Chunk] = []
        vectors: list[list[float]] = []
        offset = None
        while True:
            points, offset = self.client.scroll(
                self.collection,
                scroll_filter=build_filter(flt),
                limit=1024,
                offset=offset,
                with_payload=True,
                with_vectors=[DENSE],
            )
            for point in points:
                chunks.append(Chunk.from_payload(str(point.id), point.payload or {}))
                vectors.append(_dense_of(point.vector))
            if offset is None:
                break
        if not vectors:
            return [], np.zeros((0, 0), dtype=np.float32)
        matrix = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return chunks, matrix / np.where(norms == 0, 1.0, norms)

    def close(self) -> None:
        self.client.close()


def _scored(point: models.ScoredPoint) -> ScoredChunk:
    return ScoredChunk(Chunk.from_payload(str(point.id), point.payload or {}), float(point.score))


def _dense_of(vector: object) -> list[float]:
    if isinstance(vector, dict) and DENSE in vector:
        return list(vector[DENSE])
    raise ValueError("the point carries no dense vector")
