"""The embedded vector store: Qdrant Edge (`qdrant-edge-py`), Qdrant's own engine in-process.

The same results contract as `QdrantStore` against a server: the filter runs inside the engine
through keyword payload indexes (doc_id, kind, law, municipalities), a hybrid search is one
batch of a filtered dense and a filtered sparse prefetch fused by RRF plus a filtered dense
top 1 (`best_dense`). tests/test_vectorstore.py compares every search with qdrant-client's own
filtering (the code path a server runs).

Folder layout (`<data_dir>/edge`):
- `.lock`: an OS file lock (fcntl.flock) held while a process has the store open; a second
  process gets `StoreLockedError` (the CLI then asks the running app over HTTP);
- `CURRENT`: the name of the live shard folder, replaced atomically (write, fsync, os.replace);
- `shard-<hex>/`: Edge shard folders. Only the one CURRENT names is data; any other is a
  staged store that never went live or an old one whose removal was cut short, and is removed
  when the store opens. So a process killed at any point leaves the old or the new complete
  store, never a mix.

Threads. Chat threads read while the ingest thread writes. Edge itself raised no error with
readers during writes (measured), but one `update` of many points is not atomic to readers, so
a reader/writer lock makes every write call (an upsert batch, a delete) all-or-nothing to
readers: queries share the lock, writes take it alone.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import tempfile
import threading
import uuid
import weakref
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import qdrant_edge as qe

from wegwijs.domain import Chunk, ScoredChunk
from wegwijs.sparse import SparseVector
from wegwijs.vectorstore import (
    DENSE,
    SPARSE,
    HybridHits,
    QueryFilter,
    StoreLockedError,
    VectorStore,
)

POINTER = "CURRENT"
LOCK_FILE = ".lock"
SHARD_NAME = re.compile(r"^shard-[0-9a-f]{32}$")
INDEXED_FIELDS = ("doc_id", "kind", "law", "municipalities")
# Edge scores the point at 0-based position i of a list as 1 / (k + i); k = 2 is a Qdrant
# server's default RRF, so fused scores equal a server's (tests/test_vectorstore.py).
RRF_K = 2
PAGE = 1024


class StoreDamagedError(RuntimeError):
    """The store folder cannot be read (a broken pointer or shard); nothing is removed."""


class ReadWriteLock:
    """Many readers or one writer; a waiting writer holds new readers back (no starvation)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writing or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            while self._writing or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


def build_edge_filter(flt: QueryFilter) -> qe.Filter:
    """The filter of `vectorstore.build_filter`, in Edge's types."""
    must: list[Any] = [qe.FieldCondition(key="kind", match=qe.MatchAny(any=list(flt.kinds)))]
    if flt.laws:
        must.append(qe.FieldCondition(key="law", match=qe.MatchAny(any=list(flt.laws))))
    general = qe.IsEmptyCondition(key="municipalities")
    if flt.municipality:
        local = qe.FieldCondition(key="municipalities", match=qe.MatchValue(value=flt.municipality))
        must.append(qe.Filter(should=[general, local]))
    else:
        must.append(general)
    return qe.Filter(must=must)


def edge_config(dim: int) -> qe.EdgeConfig:
    return qe.EdgeConfig(
        vectors={DENSE: qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine)},
        sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
    )


def _dense_size(shard_dir: Path) -> int | None:
    """The dense vector size the shard was made with (Edge keeps it in edge_config.json)."""
    config = json.loads((shard_dir / "edge_config.json").read_text("utf-8"))
    size = config.get("vectors", {}).get(DENSE, {}).get("size")
    return int(size) if size is not None else None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _load(shard_dir: Path) -> qe.EdgeShard:
    try:
        return qe.EdgeShard.load(str(shard_dir))
    except Exception as exc:
        raise StoreDamagedError(f"{shard_dir}: {exc}") from exc
    except BaseException as exc:  # a Rust panic arrives as pyo3's PanicException
        if type(exc).__name__ == "PanicException":
            raise StoreDamagedError(f"{shard_dir}: {exc}") from exc
        raise


class EdgeStore:
    """One Edge shard behind the VectorStore protocol (see the module docstring)."""

    native_filters = True

    def __init__(self, root: Path, lock_fd: int | None, owns_root: bool = False) -> None:
        self.root = root
        self._lock_fd = lock_fd  # the flock; None for a staged store (its parent holds it)
        self._owns_root = owns_root  # a throwaway store removes its folder on close
        self._rw = ReadWriteLock()
        self._shard: qe.EdgeShard | None = None
        self._dir: Path | None = None
        self._dim: int | None = None
        self._live = lock_fd is not None
        self._revision = 0

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, root: Path) -> EdgeStore:
        """The store in `root`; StoreLockedError when another process has it open."""
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            raise StoreLockedError(str(root)) from exc
        store = cls(root, fd)
        try:
            store._open_live()
        except BaseException:
            store._release()
            raise
        return store

    @classmethod
    def temporary(cls) -> EdgeStore:
        """A store in a fresh temp folder, removed on close (tests, eval, benchmarks)."""
        root = Path(tempfile.mkdtemp(prefix="wegwijs-edge-"))
        store = cls.open(root)
        store._owns_root = True
        weakref.finalize(store, shutil.rmtree, root, True)  # also when never closed
        return store

    def _open_live(self) -> None:
        pointer = self.root / POINTER
        (self.root / f"{POINTER}.tmp").unlink(missing_ok=True)
        live: str | None = None
        if pointer.exists():
            live = pointer.read_bytes().decode("ascii", errors="replace").strip()
            if not SHARD_NAME.match(live) or not (self.root / live).is_dir():
                raise StoreDamagedError(f"{pointer} names no shard folder")
            shard_dir = self.root / live
            try:
                dim = _dense_size(shard_dir)
            except (OSError, ValueError, AttributeError) as exc:
                raise StoreDamagedError(f"{shard_dir}: {exc}") from exc
            self._shard, self._dir, self._dim = _load(shard_dir), shard_dir, dim
        for child in self.root.iterdir():  # staged stores that never went live, old ones
            if child.name.startswith("shard-") and child.name != live:
                shutil.rmtree(child, ignore_errors=True)

    def _new_shard(self, dim: int) -> tuple[qe.EdgeShard, Path]:
        shard_dir = self.root / f"shard-{uuid.uuid4().hex}"
        shard = qe.EdgeShard.create(str(shard_dir), edge_config(dim))
        for name in INDEXED_FIELDS:
            shard.update(qe.UpdateOperation.create_field_index(name, qe.PayloadSchemaType.Keyword))
        return shard, shard_dir

    def _point_at(self, shard_dir: Path) -> None:
        """Make `shard_dir` the live one: the pointer file replaced in one rename."""
        tmp = self.root / f"{POINTER}.tmp"
        with open(tmp, "wb") as handle:
            handle.write(shard_dir.name.encode("ascii"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.root / POINTER)
        _fsync_dir(self.root)

    # -- the VectorStore protocol ----------------------------------------------------------

    @property
    def revision(self) -> int:
        """Bumped by every write through this object (the only writer of its folder)."""
        return self._revision

    def ensure_collection(self, dim: int) -> None:
        with self._rw.write():
            if self._shard is not None and self._dim == dim:
                return
            shard, shard_dir = self._new_shard(dim)  # first use, or the embedder changed
            shard.flush()
            old_shard, old_dir = self._shard, self._dir
            if self._live:
                self._point_at(shard_dir)
            self._shard, self._dir, self._dim = shard, shard_dir, dim
            self._revision += 1
        if old_shard is not None and old_dir is not None:
            old_shard.close()
            shutil.rmtree(old_dir, ignore_errors=True)

    def _require(self) -> qe.EdgeShard:
        if self._shard is None:
            raise RuntimeError("no collection yet: call ensure_collection(dim) first")
        return self._shard

    def stored_documents(self) -> dict[str, tuple[str, str]]:
        """doc_id -> (content hash, corpus path) of everything in the store."""
        out: dict[str, tuple[str, str]] = {}
        for _, payload in self.point_payloads(("doc_id", "doc_hash", "path")):
            out[str(payload["doc_id"])] = (
                str(payload.get("doc_hash", "")),
                str(payload.get("path", "")),
            )
        return out

    def upsert(
        self, chunks: Sequence[Chunk], dense: np.ndarray, sparse: Sequence[SparseVector]
    ) -> None:
        points = [
            qe.Point(
                chunk.id,
                {
                    DENSE: dense[i].tolist(),
                    SPARSE: qe.SparseVector(sparse[i].indices, sparse[i].values),
                },
                chunk.payload(),
            )
            for i, chunk in enumerate(chunks)
        ]
        if not points:
            return
        with self._rw.write():
            self._require().update(qe.UpdateOperation.upsert_points(points))
            self._revision += 1

    def delete_docs(self, doc_ids: Iterable[str]) -> None:
        ids = list(doc_ids)
        if not ids:
            return
        by_doc = qe.Filter(must=[qe.FieldCondition(key="doc_id", match=qe.MatchAny(any=ids))])
        with self._rw.write():
            self._require().update(qe.UpdateOperation.delete_points_by_filter(by_doc))
            self._revision += 1

    def delete_points(self, ids: Iterable[str]) -> None:
        """Delete by point id; an id that is not there is no error."""
        wanted: list[int | uuid.UUID | str] = [str(i) for i in ids]
        if not wanted:
            return
        with self._rw.write():
            self._require().update(qe.UpdateOperation.delete_points(wanted))
            self._revision += 1

    def count(self) -> int:
        with self._rw.read():
            if self._shard is None:
                return 0
            return int(self._shard.count(qe.CountRequest(exact=True)))

    def point_payloads(self, fields: Sequence[str]) -> Iterator[tuple[str, dict[str, object]]]:
        """Every point's id with the named payload fields. The engine is read a page at a time,
        all pages under one read lock (one store, even across a switch); the caller gets them
        after the lock is released, so it may write to the store while it iterates."""
        pages = self._scroll_all(None, list(fields), False)
        for record in (record for page in pages for record in page):
            yield str(record.id), dict(record.payload or {})

    def _scroll_all(self, qfilter: qe.Filter | None, payload: Any, vector: Any) -> list[list[Any]]:
        pages: list[list[Any]] = []
        offset: Any = None
        with self._rw.read():
            if self._shard is None:
                return pages
            while True:
                records, offset = self._shard.scroll(
                    qe.ScrollRequest(
                        offset=offset,
                        limit=PAGE,
                        filter=qfilter,
                        with_payload=payload,
                        with_vector=vector,
                    )
                )
                pages.append(records)
                if offset is None:
                    return pages

    def hybrid_query(
        self, dense: np.ndarray, sparse: SparseVector, flt: QueryFilter, limit: int, prefetch: int
    ) -> list[ScoredChunk]:
        return self.hybrid_search(dense, sparse, flt, limit, prefetch).passages

    def hybrid_search(
        self, dense: np.ndarray, sparse: SparseVector, flt: QueryFilter, limit: int, prefetch: int
    ) -> HybridHits:
        """One batch: the filtered dense and sparse prefetches fused by RRF, and the filtered
        dense top 1 for `best_dense`; the filter runs in the engine."""
        qfilter = build_edge_filter(flt)
        vector = dense.tolist()
        lists = [qe.Prefetch(limit=prefetch, query=qe.Query.Nearest(vector, DENSE), filter=qfilter)]
        if sparse.indices:
            query = qe.Query.Nearest(qe.SparseVector(sparse.indices, sparse.values), SPARSE)
            lists.append(qe.Prefetch(limit=prefetch, query=query, filter=qfilter))
        batch = qe.QueryBatchRequest(
            [
                qe.QueryRequest(
                    limit=limit,
                    prefetches=lists,
                    query=qe.Fusion.Rrf(k=RRF_K),  # type: ignore[arg-type]  # stub lists Fusion
                    with_payload=True,
                ),
                qe.QueryRequest(
                    limit=1,
                    query=qe.Query.Nearest(vector, DENSE),
                    filter=qfilter,
                    with_payload=False,
                ),
            ]
        )
        with self._rw.read():
            if self._shard is None:
                return HybridHits()
            fused, best = self._shard.query_batch(batch)
        return HybridHits(
            passages=[_scored(p) for p in fused],
            best_dense=float(best[0].score) if best else 0.0,
        )

    def dense_query(self, dense: np.ndarray, flt: QueryFilter, limit: int) -> list[ScoredChunk]:
        request = qe.QueryRequest(
            limit=limit,
            query=qe.Query.Nearest(dense.tolist(), DENSE),
            filter=build_edge_filter(flt),
            with_payload=True,
        )
        with self._rw.read():
            if self._shard is None:
                return []
            found = self._shard.query(request)
        return [_scored(p) for p in found]

    def dense_points(self, flt: QueryFilter) -> tuple[list[Chunk], np.ndarray]:
        """Every point of the filter with its unit dense vector (for small in-memory indexes)."""
        chunks: list[Chunk] = []
        vectors: list[list[float]] = []
        for page in self._scroll_all(build_edge_filter(flt), True, [DENSE]):
            for record in page:
                chunks.append(Chunk.from_payload(str(record.id), dict(record.payload or {})))
                vectors.append(_dense_of(record.vector))
        if not vectors:
            return [], np.zeros((0, 0), dtype=np.float32)
        matrix = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return chunks, matrix / np.where(norms == 0, 1.0, norms)

    # -- staging and switching -------------------------------------------------------------

    def staged(self, dim: int) -> EdgeStore:
        """A new empty store beside the live one (its own shard folder, same config and
        indexes); readers of this store do not see it until `switch_to`."""
        if not self._live:
            raise RuntimeError("stage from the live store")
        staged = EdgeStore(self.root, None)
        staged._shard, staged._dir = self._new_shard(dim)
        staged._dim = dim
        return staged

    def switch_to(self, staged: VectorStore) -> None:
        """Make `staged` the live data in one rename of the pointer file; the old shard is
        closed and removed. Queries through `self` read the new data from here on."""
        if not isinstance(staged, EdgeStore):
            raise TypeError("switch_to takes a store staged from this one")
        if staged is self or staged.root != self.root or staged._live:
            raise ValueError("switch_to takes a store staged from this one")
        if staged._shard is None or staged._dir is None:
            raise ValueError("the staged store is closed or already switched")
        with staged._rw.write(), self._rw.write():
            staged._shard.flush()
            self._point_at(staged._dir)  # the commit point
            old_shard, old_dir = self._shard, self._dir
            self._shard, self._dir, self._dim = staged._shard, staged._dir, staged._dim
            staged._shard, staged._dir = None, None
            self._revision += 1
        if old_shard is not None and old_dir is not None:
            old_shard.close()
            shutil.rmtree(old_dir, ignore_errors=True)

    # -- closing ---------------------------------------------------------------------------

    def close(self) -> None:
        with self._rw.write():
            shard, shard_dir = self._shard, self._dir
            self._shard, self._dir = None, None
        if shard is not None:
            shard.close()
            if not self._live and shard_dir is not None:  # a staged store never switched
                shutil.rmtree(shard_dir, ignore_errors=True)
        self._release()

    def _release(self) -> None:
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None
            if self._owns_root:
                shutil.rmtree(self.root, ignore_errors=True)


def _scored(point: Any) -> ScoredChunk:
    chunk = Chunk.from_payload(str(point.id), dict(point.payload or {}))
    return ScoredChunk(chunk, float(point.score))


def _dense_of(vector: object) -> list[float]:
    if isinstance(vector, dict) and DENSE in vector:
        return list(vector[DENSE])
    raise ValueError("the point carries no dense vector")
