"""The vector store seam: Qdrant in local mode (embedded default), in memory (tests), or a server.

Local mode allows one process per folder, so in the embedded default the chat app owns the
store; the CLI reaches a running app over HTTP instead of opening the folder (see ingest.remote).

Filters. A Qdrant server filters natively through its payload indexes: one batch with a Query
API request (filtered dense and sparse prefetches fused by RRF) and a filtered dense top 1.
qdrant_client's local engine (folder or memory) has no indexes and checks a filter point by point
in Python, which made a filtered hybrid query at 10k chunks 5-7x slower than an unfiltered one.
So in local mode (`native_filters` False) a hybrid search asks for the dense and the sparse list
WITHOUT a filter, `WIDEN` times deeper, in one batch; `QueryFilter.accepts` (the same rules as
`build_filter`) filters each list here, which leaves exactly the filtered prefetch lists (same
order), and Qdrant's own RRF (`qdrant_client.hybrid.fusion`, the function local mode runs for a
`FusionQuery`) fuses them. Only when a list runs out of passing points does it fall back to the
natively filtered query. Results equal the native ones: tests/test_vectorstore.py checks that.

Swapping a whole index (`staged` + `switch_to`, used by `wegwijs ingest --rebuild`). The live
name (`collection`, "wegwijs") never holds a half-built index: a rebuild writes a new versioned
collection ("wegwijs-<unix time>-<hex>") beside the live one and makes it live in one step.
A Qdrant server (and the in-memory engine) does that with a collection alias: the live name is
an alias, `update_collection_aliases` repoints it in one request. Qdrant's local mode keeps one
folder per process, so there the live collection's name is recorded in a pointer file,
`<folder>/<name>.live`, replaced with `os.replace`: after a SIGKILL at any moment the next open
reads the old or the new name, and every other versioned collection is a leftover to drop.
tests/test_store_swap.py is the contract.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np
from qdrant_client import QdrantClient, models
from qdrant_client.hybrid.fusion import reciprocal_rank_fusion

from wegwijs.domain import Chunk, ScoredChunk
from wegwijs.sparse import SparseVector

DENSE = "dense"
SPARSE = "sparse"
WIDEN = 4  # local mode: unfiltered list depth = WIDEN x the filtered prefetch depth
FILTER_FIELDS = ["kind", "law", "municipalities"]  # the payload QueryFilter.accepts reads
PAGE = 1024  # points per scroll page
STALE_SECONDS = 3600  # a staged collection this old that never went live is a leftover
T = TypeVar("T")


class StoreLockedError(RuntimeError):
    """The local Qdrant folder is held by another process (normally the running chat app)."""


@dataclass(frozen=True)
class QueryFilter:
    kinds: tuple[str, ...] = ("doc",)
    laws: tuple[str, ...] = ()
    municipality: str | None = None  # general documents plus this gemeente's own

    def accepts(self, payload: dict[str, object]) -> bool:
        """The filter in Python, for local mode; agrees with `build_filter`."""
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

    `best_dense` is what a filtered dense query with limit 1 returns. Local mode reads it off
    the dense list it already has; a server answers it in the same batch (one round trip).
    """

    passages: list[ScoredChunk] = field(default_factory=list)
    best_dense: float = 0.0


class VectorStore(Protocol):
    native_filters: bool  # False: local mode, filters are applied in Python (see above)

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
    def point_payloads(self, fields: Sequence[str]) -> Iterator[tuple[str, dict[str, object]]]:
        """Every point's id with the named payload fields (those it has), page by page."""
        ...

    def delete_points(self, ids: Iterable[str]) -> None:
        """Delete by point id; an unknown id is no error."""
        ...

    def staged(self, dim: int) -> VectorStore:
        """A new, empty store of the same kind beside this one (same config and payload
        indexes); readers of this store do not see it until `switch_to`."""
        ...

    def switch_to(self, staged: VectorStore) -> None:
        """Make `staged` live in one atomic step: queries through this object read its data
        from now on, the previous data is dropped. After a SIGKILL at any point the next open
        sees the old or the new complete collection, never a mix."""
        ...

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


def unfiltered_requests(
    dense: np.ndarray, sparse: SparseVector, prefetch: int
) -> list[models.QueryRequest]:
    """Local mode's one batch: both lists, unfiltered, WIDEN deeper, with the filter fields."""
    return [
        models.QueryRequest(query=p.query, using=p.using, limit=p.limit, with_payload=FILTER_FIELDS)
        for p in search_lists(dense, sparse, prefetch * WIDEN, None)
    ]


class QdrantStore:
    """One Qdrant collection behind the live name `name`.

    `pointer` (local mode only) is the file naming the live collection; without it the live
    name is a Qdrant alias (server, memory), or a plain collection made before aliases.
    """

    def __init__(
        self,
        client: QdrantClient,
        collection: str,
        payload_indexes: bool = False,
        shard_number: int | None = None,
        replication_factor: int | None = None,
        pointer: Path | None = None,
        owns_client: bool = True,
    ) -> None:
        self.client = client
        self.name = collection  # the live name
        self.collection = collection  # where calls go: the live name, or (pointer) its target
        self.pointer = pointer
        self.owns_client = owns_client  # a staged store shares the live store's client
        # A Qdrant cluster: shards and copies of each shard, set when the collection is made.
        self.shard_number, self.replication_factor = shard_number, replication_factor
        self.payload_indexes = payload_indexes  # only a Qdrant server uses them
        self.native_filters = payload_indexes
        self._revision = 0
        if pointer is not None:
            self.collection = _read_pointer(pointer) or collection
            self._drop_leftovers(every=True)  # one process per folder: nothing else is staging

    @property
    def revision(self) -> int:
        """Bumped by every write through this object (in local mode the only writer)."""
        return self._revision

    @classmethod
    def local(cls, path: Path, collection: str) -> QdrantStore:
        path.mkdir(parents=True, exist_ok=True)
        _restore_folders(path)
        try:
            client = QdrantClient(path=str(path))
        except RuntimeError as exc:
            if "already accessed" in str(exc):
                raise StoreLockedError(str(path)) from exc
            raise
        return cls(client, collection, pointer=path / f"{collection}.live")

    @classmethod
    def memory(cls, collection: str) -> QdrantStore:
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
        live = self._live_collection()
        if live is not None:
            info = self.client.get_collection(live)
            vectors = info.config.params.vectors
            size = vectors[DENSE].size if isinstance(vectors, dict) else None
            if size == dim:
                return
            # embedder changed: start again, empty (the next ingest fills it)
            self.switch_to(self.staged(dim))
            return
        if self.pointer is not None:
            self._create(self.collection, dim)  # the pointer's target, or the plain name
            return
        fresh = self._new_name()
        self._create(fresh, dim)
        self._repoint(fresh)

    def _create(self, name: str, dim: int) -> None:
        self._revision += 1
        self.client.create_collection(
            name,
            vectors_config={DENSE: models.VectorParams(size=dim, distance=models.Distance.COSINE)},
            sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
            shard_number=self.shard_number,
            replication_factor=self.replication_factor,
        )
        if self.payload_indexes:
            for field_name in ("doc_id", "kind", "law", "municipalities"):
                self.client.create_payload_index(name, field_name, models.PayloadSchemaType.KEYWORD)

    def _aliases(self) -> dict[str, str]:
        return {a.alias_name: a.collection_name for a in self.client.get_aliases().aliases}

    def _collections(self) -> set[str]:
        return {c.name for c in self.client.get_collections().collections}

    def _live_collection(self) -> str | None:
        """The real collection behind the live name, None when there is none yet."""
        if self.pointer is None:
            target = self._aliases().get(self.name)
            if target is not None:
                return target
        return self.collection if self.collection in self._collections() else None

    def _new_name(self) -> str:
        return f"{self.name}-{int(time.time())}-{secrets.token_hex(4)}"

    def _drop_leftovers(self, every: bool) -> None:
        """Drop this store's versioned collections that are not live: all of them (local
        mode, where this process owns the folder), or those older than STALE_SECONDS (a
        server, where another replica may be staging one right now)."""
        pattern = re.compile(rf"{re.escape(self.name)}-(\d+)-[0-9a-f]{{8}}")
        live = self._live_collection()
        for name in self._collections():
            match = pattern.fullmatch(name)
            if name == live or (match is None and name != self.name):
                continue
            if match is None or every or int(match.group(1)) < time.time() - STALE_SECONDS:
                self.client.delete_collection(name)
        if self.pointer is not None:  # a kill inside create_collection leaves an unlisted folder
            known = self._collections()
            for folder in (self.pointer.parent / "collection").glob(f"{self.name}-*"):
                if pattern.fullmatch(folder.name) and folder.name not in known:
                    shutil.rmtree(folder, ignore_errors=True)

    def staged(self, dim: int) -> QdrantStore:
        self._drop_leftovers(every=self.pointer is not None)
        store = QdrantStore(
            self.client,
            self._new_name(),
            self.payload_indexes,
            self.shard_number,
            self.replication_factor,
            owns_client=False,
        )
        store._create(store.collection, dim)
        return store

    def switch_to(self, staged: VectorStore) -> None:
        if not isinstance(staged, QdrantStore) or staged.client is not self.client:
            raise ValueError("switch_to takes a store made by this store's staged()")
        old = self._live_collection()
        if self.pointer is not None:
            _write_pointer(self.pointer, staged.collection)
            self.collection = staged.collection
        else:
            self._repoint(staged.collection)  # drops a collection under the live name itself
            old = None if old == self.name else old
        if old is not None and old != staged.collection:
            self.client.delete_collection(old)
        self._revision += 1

    def _repoint(self, target: str) -> None:
        """Alias mode: the live name points at `target` after one alias request."""
        operations: list[models.AliasOperations] = []
        if self.name in self._aliases():
            operations.append(
                models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=self.name))
            )
        elif self.name in self._collections():
            # made before aliases: the name must be free first (a moment without an index,
            # once, on the first rebuild after the upgrade)
            self.client.delete_collection(self.name)
        operations.append(
            models.CreateAliasOperation(
                create_alias=models.CreateAlias(collection_name=target, alias_name=self.name)
            )
        )
        self.client.update_collection_aliases(change_aliases_operations=operations)

    def _read(self, call: Callable[[str], T]) -> T:
        """A read on the live collection. In local mode `switch_to` drops the previous
        collection under a reader that started on it: that reader gets one retry."""
        collection = self.collection
        try:
            return call(collection)
        except Exception:
            if self.collection == collection:
                raise
            return call(self.collection)

    def point_payloads(self, fields: Sequence[str]) -> Iterator[tuple[str, dict[str, object]]]:
        collection = self.collection
        offset = None
        while True:
            points, offset = self.client.scroll(
                collection,
                limit=PAGE,
                offset=offset,
                with_payload=list(fields),
                with_vectors=False,
            )
            for point in points:
                yield str(point.id), dict(point.payload or {})
            if offset is None:
                return

    def stored_documents(self) -> dict[str, tuple[str, str]]:
        """doc_id -> (content hash, corpus path) of everything in the collection."""
        hashes: dict[str, tuple[str, str]] = {}
        for _, payload in self.point_payloads(["doc_id", "doc_hash", "path"]):
            hashes[str(payload["doc_id"])] = (
                str(payload.get("doc_hash", "")),
                str(payload.get("path", "")),
            )
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

    def delete_points(self, ids: Iterable[str]) -> None:
        points: list[models.ExtendedPointId] = list(ids)
        if not points:
            return
        self.client.delete(
            self.collection, points_selector=models.PointIdsList(points=points), wait=True
        )
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
        return self._read(lambda c: int(self.client.count(c, exact=True).count))

    def hybrid_query(
        self, dense: np.ndarray, sparse: SparseVector, flt: QueryFilter, limit: int, prefetch: int
    ) -> list[ScoredChunk]:
        return self.hybrid_search(dense, sparse, flt, limit, prefetch).passages

    def hybrid_search(
        self, dense: np.ndarray, sparse: SparseVector, flt: QueryFilter, limit: int, prefetch: int
    ) -> HybridHits:
        """Dense + sparse, fused by RRF; see the module docstring on how local mode filters."""

        def search(collection: str) -> HybridHits:
            if not self.native_filters:
                hits = self._filtered_here(dense, sparse, flt, limit, prefetch, collection)
                if hits is not None:
                    return hits
            return self._filtered_natively(dense, sparse, flt, limit, prefetch, collection)

        return self._read(search)

    def _filtered_natively(
        self,
        dense: np.ndarray,
        sparse: SparseVector,
        flt: QueryFilter,
        limit: int,
        prefetch: int,
        collection: str | None = None,
    ) -> HybridHits:
        """One batch, one round trip: the filtered prefetches fused by RRF in Qdrant, and the
        filtered dense top 1 for `best_dense`."""
        qfilter = build_filter(flt)
        fused, best = self.client.query_batch_points(
            collection or self.collection,
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

    def _filtered_here(
        self,
        dense: np.ndarray,
        sparse: SparseVector,
        flt: QueryFilter,
        limit: int,
        prefetch: int,
        collection: str | None = None,
    ) -> HybridHits | None:
        """Local mode; None when a list ran out of passing points before `prefetch` of them
        (the filter may match more further down), so the caller filters natively."""
        collection = collection or self.collection
        responses = self.client.query_batch_points(
            collection, unfiltered_requests(dense, sparse, prefetch)
        )
        ranked: list[list[models.ScoredPoint]] = []
        for response in responses:
            kept = [p for p in response.points if flt.accepts(p.payload or {})]
            if len(kept) < prefetch and len(response.points) == prefetch * WIDEN:
                return None
            ranked.append(kept[:prefetch])
        best_dense = float(ranked[0][0].score) if ranked[0] else 0.0  # before RRF rescores
        fused = reciprocal_rank_fusion(ranked, limit=limit)
        if not fused:
            return HybridHits()
        found = self.client.retrieve(collection, [p.id for p in fused], with_payload=True)
        payloads = {str(r.id): r.payload or {} for r in found}
        return HybridHits(
            passages=[
                ScoredChunk(Chunk.from_payload(str(p.id), payloads[str(p.id)]), float(p.score))
                for p in fused
            ],
            best_dense=best_dense,
        )

    def dense_query(self, dense: np.ndarray, flt: QueryFilter, limit: int) -> list[ScoredChunk]:
        def search(collection: str) -> list[ScoredChunk]:
            if not self.native_filters:  # local mode: filter here when enough pass (same result)
                depth = limit * WIDEN * 8
                result = self.client.query_points(
                    collection, query=dense.tolist(), using=DENSE, limit=depth, with_payload=True
                )
                kept = [p for p in result.points if flt.accepts(p.payload or {})]
                if len(kept) >= limit or len(result.points) < depth:
                    return [_scored(p) for p in kept[:limit]]
            result = self.client.query_points(
                collection,
                query=dense.tolist(),
                using=DENSE,
                query_filter=build_filter(flt),
                limit=limit,
                with_payload=True,
            )
            return [_scored(p) for p in result.points]

        return self._read(search)

    def dense_points(self, flt: QueryFilter) -> tuple[list[Chunk], np.ndarray]:
        """Every point of the filter with its unit dense vector (for small in-memory indexes)."""
        return self._read(lambda collection: self._dense_points(collection, flt))

    def _dense_points(self, collection: str, flt: QueryFilter) -> tuple[list[Chunk], np.ndarray]:
        chunks: list[Chunk] = []
        vectors: list[list[float]] = []
        offset = None
        while True:
            points, offset = self.client.scroll(
                collection,
                scroll_filter=build_filter(flt),
                limit=PAGE,
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
        if self.owns_client:
            self.client.close()


def _read_pointer(pointer: Path) -> str | None:
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def _write_pointer(pointer: Path, name: str) -> None:
    """Replace the pointer file in one step (os.replace), flushed to disk first."""
    tmp = pointer.with_name(pointer.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(name)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, pointer)
    folder = os.open(pointer.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _restore_folders(path: Path) -> None:
    """Qdrant's local mode deletes a collection's folder before it rewrites meta.json; a kill
    between the two leaves meta.json naming a folder that is gone, and the client cannot open.
    An empty folder lets it open; the collection is a leftover and gets dropped."""
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return
    for name in meta.get("collections", {}):
        folder = path / "collection" / name
        if folder.resolve().is_relative_to((path / "collection").resolve()):
            folder.mkdir(parents=True, exist_ok=True)


def _scored(point: models.ScoredPoint) -> ScoredChunk:
    return ScoredChunk(Chunk.from_payload(str(point.id), point.payload or {}), float(point.score))


def _dense_of(vector: object) -> list[float]:
    if isinstance(vector, dict) and DENSE in vector:
        return list(vector[DENSE])
    raise ValueError("the point carries no dense vector")
