"""The embedded store's own promises (wegwijs/edge_store.py): paged payloads, delete by id, a
staged store switched in atomically and crash-safe, one process per folder, and readers that
never see half a write while the ingest writes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import uuid
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import wegwijs.edge_store as edge_store
from tests.test_vectorstore import DIM, fill, query, synthetic_chunks, unit_vectors
from wegwijs.domain import Chunk
from wegwijs.edge_store import EdgeStore
from wegwijs.sparse import DutchSparseEncoder
from wegwijs.vectorstore import QueryFilter, StoreLockedError

ROOT = Path(__file__).resolve().parent.parent
ALL_KINDS = QueryFilter(kinds=("doc", "faq"), municipality="Breda")


def shard_folders(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith("shard-"))


def test_point_payloads_pages_through_every_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(edge_store, "PAGE", 7)  # 600 points: many pages
    chunks = synthetic_chunks(600)
    store = EdgeStore.open(tmp_path / "edge")
    fill(store, chunks)
    got = dict(store.point_payloads(["doc_id", "doc_hash"]))
    assert got == {c.id: {"doc_id": c.doc_id, "doc_hash": c.doc_hash} for c in chunks}
    store.close()


def test_delete_points_by_id_ignores_unknown_ids(tmp_path: Path) -> None:
    chunks = synthetic_chunks(50)
    store = EdgeStore.open(tmp_path / "edge")
    fill(store, chunks)
    before = store.revision
    store.delete_points([chunks[0].id, chunks[1].id, str(uuid.uuid4())])
    assert store.count() == 48 and store.revision > before
    assert {i for i, _ in store.point_payloads(["doc_id"])} == {c.id for c in chunks[2:]}
    store.delete_points([])
    store.close()


def test_a_staged_store_is_invisible_until_switched_in(tmp_path: Path) -> None:
    root = tmp_path / "edge"
    old, new = synthetic_chunks(40, seed=1), synthetic_chunks(60, seed=2)
    live = EdgeStore.open(root)
    fill(live, old)
    staged = live.staged(DIM)
    assert staged.count() == 0 and len(shard_folders(root)) == 2
    fill(staged, new)
    dense, sparse = query("wmo gemeente")
    seen = live.hybrid_query(dense, sparse, ALL_KINDS, 100, 100)
    assert live.count() == 40 and {p.chunk.id for p in seen} <= {c.id for c in old}
    live.switch_to(staged)
    assert live.count() == 60
    seen = live.hybrid_query(dense, sparse, ALL_KINDS, 100, 100)
    assert seen and {p.chunk.id for p in seen} <= {c.id for c in new}
    assert len(shard_folders(root)) == 1  # the old shard is gone
    staged.close()  # a switched store is the live one now: closing it removes nothing
    assert live.count() == 60
    live.close()
    again = EdgeStore.open(root)
    assert again.count() == 60 and again.stored_documents() == {
        c.doc_id: (c.doc_hash, c.path) for c in new
    }
    again.close()


def test_a_staged_store_never_switched_leaves_nothing(tmp_path: Path) -> None:
    root = tmp_path / "edge"
    live = EdgeStore.open(root)
    fill(live, synthetic_chunks(20))
    fill(live.staged(DIM), synthetic_chunks(30, seed=9))  # abandoned, not closed
    live.close()
    again = EdgeStore.open(root)  # the leftover is removed on open
    assert again.count() == 20 and len(shard_folders(root)) == 1
    again.close()


def test_a_new_dimension_rebuilds_the_store(tmp_path: Path) -> None:
    store = EdgeStore.open(tmp_path / "edge")
    fill(store, synthetic_chunks(20))
    store.ensure_collection(DIM)  # same embedder: nothing happens
    assert store.count() == 20
    store.ensure_collection(DIM * 2)
    assert store.count() == 0 and len(shard_folders(tmp_path / "edge")) == 1
    store.close()


# A child process that switches from store A to store B and is killed at one step of the way.
CHILD = textwrap.dedent(
    """
    import os, shutil, signal, sys
    from pathlib import Path
    import wegwijs.edge_store as edge_store
    from tests.test_vectorstore import DIM, fill, synthetic_chunks

    root, step = Path(sys.argv[1]), sys.argv[2]

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    store = edge_store.EdgeStore.open(root)
    if store.count() == 0:
        fill(store, synthetic_chunks(40, seed=1))
    staged = store.staged(DIM)
    new = synthetic_chunks(60, seed=2)
    if step == "staging":
        fill(staged, new[:30])
        die()
    fill(staged, new)
    real_replace, real_rmtree = os.replace, shutil.rmtree

    def replace(src, dst):
        if step == "before-pointer":
            die()
        real_replace(src, dst)
        if step == "after-pointer":
            die()

    def rmtree(path, ignore_errors=False):
        files = sorted(p for p in Path(path).rglob("*") if p.is_file())
        for p in files[: len(files) // 2]:
            p.unlink()
        if step == "mid-remove":
            die()
        real_rmtree(path, ignore_errors=ignore_errors)

    edge_store.os.replace = replace
    edge_store.shutil.rmtree = rmtree
    store.switch_to(staged)
    print("switched", flush=True)
    """
)


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ("staging", "old"),
        ("before-pointer", "old"),
        ("after-pointer", "new"),
        ("mid-remove", "new"),
        ("none", "new"),
    ],
)
def test_a_kill_during_switch_leaves_the_old_or_the_new_store(
    tmp_path: Path, step: str, expected: str
) -> None:
    root = tmp_path / "edge"
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), step],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if step == "none":
        assert child.returncode == 0, child.stderr
    else:
        assert child.returncode == -signal.SIGKILL, child.stderr
    store = EdgeStore.open(root)
    chunks = synthetic_chunks(40, seed=1) if expected == "old" else synthetic_chunks(60, seed=2)
    assert store.stored_documents() == {c.doc_id: (c.doc_hash, c.path) for c in chunks}
    assert store.count() == len(chunks)
    dense, sparse = query("mantelzorg")
    seen = store.hybrid_query(dense, sparse, ALL_KINDS, 100, 100)
    assert seen and {p.chunk.id for p in seen} <= {c.id for c in chunks}
    assert len(shard_folders(root)) == 1  # leftovers removed on open
    store.close()


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from wegwijs.edge_store import EdgeStore

    store = EdgeStore.open(Path(sys.argv[1]))
    print("open", flush=True)
    time.sleep(120)
    """
)


def test_a_second_process_gets_store_locked_until_the_first_dies(tmp_path: Path) -> None:
    root = tmp_path / "edge"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(root)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreLockedError):
            EdgeStore.open(root)
    finally:
        holder.kill()  # SIGKILL: no close() runs; the OS drops the lock with the process
        holder.wait(timeout=30)
    EdgeStore.open(root).close()


def test_a_damaged_pointer_is_an_error_and_removes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "edge"
    store = EdgeStore.open(root)
    fill(store, synthetic_chunks(20))
    store.close()
    folders = shard_folders(root)
    (root / "CURRENT").write_bytes(b"\x00garbage")
    with pytest.raises(edge_store.StoreDamagedError):
        EdgeStore.open(root)
    assert shard_folders(root) == folders  # the data is still there to restore
    (root / "CURRENT").write_text(folders[0])
    again = EdgeStore.open(root)  # the failed open released the lock
    assert again.count() == 20
    again.close()


DOC_CHUNKS = 24


def doc_version(doc: int, version: int) -> list[Chunk]:
    """One document as one write: DOC_CHUNKS chunks that all carry the version in doc_hash."""
    base = synthetic_chunks(DOC_CHUNKS, seed=doc)
    return [
        replace(
            c,
            id=str(uuid.uuid5(uuid.NAMESPACE_OID, f"{doc}:{version}:{i}")),
            doc_id=f"doc-{doc}",
            doc_hash=f"v{version}",
            kind="doc",
            municipalities=(),
        )
        for i, c in enumerate(base)
    ]


def test_readers_never_see_half_a_write(tmp_path: Path) -> None:
    """Chat threads query while the ingest thread replaces documents (delete + upsert of a
    whole document per call): no query errors, and every document a query sees is complete,
    in one version."""
    encoder = DutchSparseEncoder()
    store = EdgeStore.open(tmp_path / "edge")
    store.ensure_collection(DIM)

    def write(chunks: list[Chunk], seed: int) -> None:
        vectors = unit_vectors(len(chunks), seed)
        store.upsert(chunks, vectors, [encoder.encode_document(c.text) for c in chunks])

    for doc in range(4):
        write(doc_version(doc, 0), doc)
    errors: list[BaseException] = []
    partial: list[Counter[tuple[str, str]]] = []
    queries = 0
    stop = threading.Event()

    def reader(seed: int) -> None:
        nonlocal queries
        rng = np.random.default_rng(seed)
        _, sparse = query("mantelzorg gemeente wmo")
        while not stop.is_set():
            dense = rng.normal(size=DIM).astype(np.float32)
            try:
                hits = store.hybrid_query(dense, sparse, QueryFilter(), 500, 500)
            except Exception as exc:  # noqa: BLE001 - the test records any error
                errors.append(exc)
                return
            seen = Counter((h.chunk.doc_id, h.chunk.doc_hash) for h in hits)
            docs = Counter(doc for doc, _ in seen)
            if any(n != DOC_CHUNKS for n in seen.values()) or any(n > 1 for n in docs.values()):
                partial.append(seen)
            queries += 1

    readers = [threading.Thread(target=reader, args=(s,)) for s in range(3)]
    for thread in readers:
        thread.start()
    try:
        for version in range(1, 16):
            for doc in range(4):
                store.delete_docs([f"doc-{doc}"])
                write(doc_version(doc, version), doc + version)
    finally:
        stop.set()
        for thread in readers:
            thread.join(timeout=60)
    assert not errors
    assert queries > 0 and not partial, partial[:2]
    assert store.count() == 4 * DOC_CHUNKS
    store.close()


def test_readers_during_switches_see_one_whole_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ingest swaps in staged stores while chat threads read: a read never meets a closed
    shard, and it sees the old store or the new one, never a mix, also when it reads many
    pages (the card matcher's dense_points, point_payloads)."""
    monkeypatch.setattr(edge_store, "PAGE", 4)
    stores = [synthetic_chunks(40, seed=1), synthetic_chunks(60, seed=2)]
    ids = [{c.id for c in chunks} for chunks in stores]
    live = EdgeStore.open(tmp_path / "edge")
    fill(live, stores[0])
    errors: list[BaseException] = []
    mixed: list[int] = []
    queries = 0
    stop = threading.Event()

    def reader(seed: int) -> None:
        nonlocal queries
        rng = np.random.default_rng(seed)
        _, sparse = query("mantelzorg gemeente wmo")
        while not stop.is_set():
            dense = rng.normal(size=DIM).astype(np.float32)
            try:
                found = {h.chunk.id for h in live.hybrid_query(dense, sparse, ALL_KINDS, 200, 200)}
                total = live.count()
                paged = {c.id for c in live.dense_points(ALL_KINDS)[0]}
                payloads = {i for i, _ in live.point_payloads(["doc_id"])}
            except Exception as exc:  # noqa: BLE001 - the test records any error
                errors.append(exc)
                return
            if (
                not any(found <= one for one in ids)
                or total not in (40, 60)
                or not any(paged <= one for one in ids)
                or payloads not in ids
            ):
                mixed.append(total)
            queries += 1

    readers = [threading.Thread(target=reader, args=(s,)) for s in range(3)]
    for thread in readers:
        thread.start()
    try:
        for round_ in range(12):
            staged = live.staged(DIM)
            fill(staged, stores[(round_ + 1) % 2])
            live.switch_to(staged)
    finally:
        stop.set()
        for thread in readers:
            thread.join(timeout=60)
    assert not errors, errors[:1]
    assert queries > 0 and not mixed
    live.close()
