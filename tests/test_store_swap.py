"""The contract of the four VectorStore members an ingest without holes needs: `point_payloads`,
`delete_points`, `staged` and `switch_to` (issue 11).

Every test runs against each entry of STORE_KINDS; another store joins by adding an entry.
A persistent kind is also killed with SIGKILL at random moments while it swaps collections
over and over: the next open must see one complete version, never a mix or nothing.
"""

from __future__ import annotations

import random
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import wegwijs.vectorstore
from tests.forked import Forker
from wegwijs.domain import Chunk, Law
from wegwijs.edge_store import SHARD_NAME, EdgeStore
from wegwijs.sparse import DutchSparseEncoder
from wegwijs.vectorstore import QdrantStore, QueryFilter, VectorStore

DIM = 8
SPARSE = DutchSparseEncoder()


def qdrant_collections(store: VectorStore) -> set[str]:
    assert isinstance(store, QdrantStore)
    return {c.name for c in store.client.get_collections().collections}


def edge_shards(store: VectorStore) -> set[str]:
    assert isinstance(store, EdgeStore)
    return {p.name for p in store.root.iterdir() if SHARD_NAME.match(p.name)}


@dataclass(frozen=True)
class StoreKind:
    name: str
    open: Callable[[Path], VectorStore]  # opens (again) the store kept in this folder
    persistent: bool  # survives close + open (then it is also killed in the SIGKILL test)
    collections: Callable[[VectorStore], set[str]]  # what the engine holds: the old one dropped?


STORE_KINDS = [
    # Qdrant local mode in a folder: the live collection is named in a pointer file
    StoreKind(
        "qdrant-local", lambda f: QdrantStore.local(f / "qdrant", "live"), True, qdrant_collections
    ),
    # the in-memory engine with server semantics: the live name is a collection alias
    StoreKind("qdrant-memory", lambda f: QdrantStore.memory("live"), False, qdrant_collections),
    # Qdrant Edge (the embedded default): a shard folder per version, a pointer names the live one
    StoreKind("edge", lambda f: EdgeStore.open(f / "edge"), True, edge_shards),
]


PERSISTENT_KINDS = [kind for kind in STORE_KINDS if kind.persistent]


@pytest.fixture(params=STORE_KINDS, ids=lambda kind: kind.name)
def kind(request: pytest.FixtureRequest) -> StoreKind:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def store(kind: StoreKind, tmp_path: Path) -> Iterator[VectorStore]:
    opened = kind.open(tmp_path)
    opened.ensure_collection(DIM)
    yield opened
    opened.close()


def version(tag: str, count: int) -> list[Chunk]:
    """`count` points of documents `tag-0`, `tag-1`, ... whose text and hash name the version."""
    return [
        Chunk(
            id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tag}:{i}")),
            doc_id=f"{tag}-{i // 3}",
            title=f"Versie {tag}",
            law=Law.wmo,
            sources=("https://example.org",),
            heading_path=(),
            text=f"versie {tag} mantelzorg stuk {i}",
            doc_hash=tag,
            position=i % 3,
        )
        for i in range(count)
    ]


def write(store: VectorStore, chunks: list[Chunk]) -> None:
    rng = np.random.default_rng(len(chunks))
    dense = rng.normal(size=(len(chunks), DIM)).astype(np.float32)
    store.upsert(chunks, dense, [SPARSE.encode_document(c.text) for c in chunks])


def hashes(store: VectorStore) -> list[object]:
    return sorted(str(p.get("doc_hash")) for _, p in store.point_payloads(["doc_hash"]))


def search(store: VectorStore) -> set[str]:
    """The versions a reader of the store finds (hybrid and dense)."""
    dense = np.ones(DIM, dtype=np.float32) / np.sqrt(DIM)
    sparse = SPARSE.encode_query("mantelzorg versie")
    hits = store.hybrid_query(dense, sparse, QueryFilter(), limit=50, prefetch=50)
    hits += store.dense_query(dense, QueryFilter(), limit=50)
    return {h.chunk.doc_hash for h in hits}


def test_point_payloads_gives_every_point_with_the_named_fields(
    store: VectorStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wegwijs.vectorstore, "PAGE", 4)  # several pages (Qdrant's page size)
    chunks = version("a", 17)
    write(store, chunks)
    got = dict(store.point_payloads(["doc_id", "doc_hash"]))
    assert got == {c.id: {"doc_id": c.doc_id, "doc_hash": "a"} for c in chunks}


def test_delete_points_deletes_those_ids_and_ignores_unknown_ones(store: VectorStore) -> None:
    chunks = version("a", 9)
    write(store, chunks)
    store.delete_points([chunks[0].id, chunks[4].id, str(uuid.uuid4())])
    store.delete_points([])
    assert {i for i, _ in store.point_payloads([])} == {c.id for c in chunks} - {
        chunks[0].id,
        chunks[4].id,
    }


def test_a_staged_store_is_empty_and_invisible_to_readers_of_the_live_one(
    store: VectorStore,
) -> None:
    write(store, version("a", 6))
    staged = store.staged(DIM)
    assert staged.count() == 0 and list(staged.point_payloads(["doc_hash"])) == []
    write(staged, version("b", 9))
    assert staged.count() == 9 and hashes(staged) == ["b"] * 9
    assert store.count() == 6 and hashes(store) == ["a"] * 6 and search(store) == {"a"}


def test_switch_to_makes_the_staged_data_live_and_drops_the_old(
    kind: StoreKind, store: VectorStore
) -> None:
    write(store, version("a", 6))
    before = kind.collections(store)
    staged = store.staged(DIM)
    write(staged, version("b", 9))
    store.switch_to(staged)
    assert store.count() == 9 and hashes(store) == ["b"] * 9 and search(store) == {"b"}
    assert len(kind.collections(store)) == len(before)  # the old one is gone
    write(store, version("c", 1))  # writes through the live store land in the new data
    assert hashes(store) == ["b"] * 9 + ["c"]
    for tag in ("d", "e", "f"):  # rebuild after rebuild: still one collection
        staged = store.staged(DIM)
        write(staged, version(tag, 4))
        store.switch_to(staged)
        assert hashes(store) == [tag] * 4
    assert len(kind.collections(store)) == len(before)


@pytest.mark.parametrize("kind", PERSISTENT_KINDS, ids=lambda kind: kind.name)
def test_the_switch_survives_close_and_open_and_an_unfinished_staging_does_not(
    kind: StoreKind, tmp_path: Path
) -> None:
    store = kind.open(tmp_path)
    store.ensure_collection(DIM)
    write(store, version("a", 6))
    staged = store.staged(DIM)
    write(staged, version("b", 9))
    store.switch_to(staged)
    store.close()
    store = kind.open(tmp_path)
    assert hashes(store) == ["b"] * 9
    before = kind.collections(store)
    write(store.staged(DIM), version("c", 5))  # a rebuild that never finishes
    store.close()
    store = kind.open(tmp_path)
    assert hashes(store) == ["b"] * 9 and search(store) == {"b"}
    assert kind.collections(store) == before  # the unfinished one was dropped
    store.close()


# --- SIGKILL while swapping ------------------------------------------------------------------

KILLS = 20


def swap_forever(kind_name: str, folder: str) -> None:
    """Child process: rebuild the store again and again, each version a different size."""
    kind = next(k for k in STORE_KINDS if k.name == kind_name)
    store = kind.open(Path(folder))
    store.ensure_collection(DIM)
    print("open", flush=True)
    n = 0
    while True:
        n += 1
        staged = store.staged(DIM)
        write(staged, version(f"v{n}", 3 + n % 11))
        store.switch_to(staged)


def wait_for(path: Path, text: str) -> None:
    for _ in range(6000):
        if path.exists() and text in path.read_text(encoding="utf-8", errors="replace"):
            return
        time.sleep(0.005)
    raise AssertionError(f"no {text!r} in {path}: {path.read_text(errors='replace')}")


@pytest.mark.parametrize("kind", PERSISTENT_KINDS, ids=lambda kind: kind.name)
def test_a_kill_at_any_moment_of_a_swap_leaves_one_complete_version(
    kind: StoreKind, tmp_path: Path
) -> None:
    store = kind.open(tmp_path)
    store.ensure_collection(DIM)
    write(store, version("v0", 3))
    store.close()
    rng = random.Random(11)
    seen: set[str] = set()
    with Forker(["tests.test_store_swap"]) as forker:
        for i in range(KILLS):
            out = tmp_path / f"child-{i}.txt"
            forker.start("tests.test_store_swap:swap_forever", [kind.name, str(tmp_path)], out)
            wait_for(out, "open")
            time.sleep(rng.uniform(0.0, 0.4))  # a swap of a few points takes about that long
            assert forker.finish(kill=True) == -signal.SIGKILL
            store = kind.open(tmp_path)
            try:
                found = hashes(store)
                assert found, "the store opened empty after a kill"
                tag = str(found[0])
                n = int(tag[1:])
                expected = 3 if n == 0 else 3 + n % 11
                assert found == [tag] * expected, found  # one version, complete
                assert search(store) == {tag}
                seen.add(tag)
            finally:
                store.close()
    assert len(seen) > 1  # the kills landed in different swaps, not all before the first
    if kind.name == "qdrant-local":  # no folder of a collection Qdrant no longer lists
        store = kind.open(tmp_path)
        folders = {f.name for f in (tmp_path / "qdrant" / "collection").iterdir()}
        assert folders == kind.collections(store)
        store.close()
