"""The vector store contract, run as one class against the embedded store (Qdrant Edge) in a
folder and in a throwaway temp folder.

Every test that searches compares with the reference: the same points in qdrant-client's own
engine, filtered by Qdrant's filter code through the same requests a server gets (QdrantStore),
so an Edge query that changes which points come back, their order or their scores fails here.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import QdrantClient, models

from wegwijs.domain import Chunk, Law, ScoredChunk
from wegwijs.edge_store import EdgeStore
from wegwijs.sparse import DutchSparseEncoder, SparseVector
from wegwijs.vectorstore import QdrantStore, QueryFilter, VectorStore, build_filter

WORDS = [
    "mantelzorg",
    "wmo",
    "gemeente",
    "thuiszorg",
    "wijkverpleging",
    "pgb",
    "indicatie",
    "zorgkantoor",
    "respijtzorg",
    "huishoudelijke",
    "hulp",
    "vervoer",
    "scootmobiel",
    "zorgverlof",
    "werkgever",
    "belasting",
    "jeugdhulp",
    "loket",
    "keukentafelgesprek",
    "beschikking",
    "eigen",
    "bijdrage",
    "dagbesteding",
    "logeeropvang",
    "huisarts",
]
GEMEENTEN = ("Breda", "Tilburg", "Oosterhout")
QUESTIONS = (
    "Hoe vraag ik huishoudelijke hulp aan bij de gemeente?",
    "wijkverpleging thuiszorg huisarts",
    "pgb of zorg in natura",
    "zorgverlof van de werkgever",
    "xyzzy",  # no known word: a dense list only
)
FILTERS = (
    QueryFilter(),
    QueryFilter(municipality="Breda"),
    QueryFilter(municipality="Tilburg", laws=("wmo", "zvw")),
    QueryFilter(kinds=("faq",)),
    QueryFilter(kinds=("doc", "faq"), municipality="Oosterhout"),
    QueryFilter(laws=("jeugdwet",), municipality="Breda"),  # rare: few points pass
    QueryFilter(municipality="Nergensdorp"),
)
DIM = 64
SPARSE = DutchSparseEncoder()


def synthetic_chunks(count: int, seed: int = 3) -> list[Chunk]:
    rng = random.Random(seed)
    laws = [law for law in Law if law is not Law.jeugdwet]
    chunks = []
    for i in range(count):
        rare = i % 97 == 0  # a handful of jeugdwet chunks, so a law filter passes few points
        chunks.append(
            Chunk(
                id=str(uuid.UUID(int=rng.getrandbits(128))),
                doc_id=f"doc-{i // 4}",
                title=f"Document {i // 4}",
                law=Law.jeugdwet if rare else laws[i % len(laws)],
                sources=("https://example.org",),
                heading_path=(f"Deel {i % 4}",),
                text=" ".join(rng.choices(WORDS, k=rng.randint(4, 12))),
                municipalities=(rng.choice(GEMEENTEN),) if rng.random() < 0.2 else (),
                kind="faq" if rng.random() < 0.15 else "doc",
                doc_hash=f"hash-{i // 4}",
                position=i % 4,
                path=f"docs/doc-{i // 4}.md",
            )
        )
    return chunks


def unit_vectors(count: int, seed: int) -> np.ndarray:
    """Random directions: distinct cosines, so float noise cannot swap tied ranks."""
    vectors = np.random.default_rng(seed).normal(size=(count, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def fill(store: VectorStore, chunks: list[Chunk]) -> None:
    store.ensure_collection(DIM)
    store.upsert(chunks, unit_vectors(len(chunks), 11), sparse_vectors(chunks))


def sparse_vectors(chunks: list[Chunk]) -> list[SparseVector]:
    """The encoder's vectors, each scaled by its own factor within 0.1%: chunks made of the same
    words would tie, and engines may order ties differently."""
    rng = random.Random(5)
    out = []
    for chunk in chunks:
        vector, factor = SPARSE.encode_document(chunk.text), 1 + rng.random() / 1000
        out.append(SparseVector(vector.indices, [v * factor for v in vector.values]))
    return out


def same_ranking(ours: list[ScoredChunk], native: list[ScoredChunk]) -> None:
    """Equal scores in the same order, and the same points per score; RRF gives equal scores
    to different points (first of one list, first of the other) and engines may order those
    differently, so within a score only the set counts (and not at the cut-off, where the tie
    may continue past the limit)."""
    assert [p.score for p in ours] == pytest.approx([p.score for p in native], abs=1e-6)
    if not native:
        return
    lowest = min(p.score for p in native)

    def groups(hits: list[ScoredChunk]) -> dict[float, set[Chunk]]:
        out: dict[float, set[Chunk]] = {}
        for hit in hits:
            if hit.score > lowest + 1e-6:
                out.setdefault(round(hit.score, 5), set()).add(hit.chunk)
        return out

    assert groups(ours) == groups(native)


@pytest.fixture(scope="module")
def chunks() -> list[Chunk]:
    return synthetic_chunks(600)


@pytest.fixture(scope="module")
def reference(chunks: list[Chunk]) -> Iterator[QdrantStore]:
    """The same points, filtered by Qdrant itself (as a server filters)."""
    store = QdrantStore.memory("reference")
    fill(store, chunks)
    yield store
    store.close()


def open_store(mode: str, folder: Path) -> EdgeStore:
    if mode == "folder":
        return EdgeStore.open(folder / "edge")
    return EdgeStore.temporary()


@pytest.fixture(scope="module", params=["folder", "temporary"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def store(
    mode: str, chunks: list[Chunk], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EdgeStore]:
    """Filled once per mode; the tests that write open their own store."""
    opened = open_store(mode, tmp_path_factory.mktemp(mode))
    fill(opened, chunks)
    yield opened
    opened.close()


@pytest.fixture
def empty_store(mode: str, tmp_path: Path) -> Iterator[EdgeStore]:
    opened = open_store(mode, tmp_path)
    yield opened
    opened.close()


def query(text: str) -> tuple[np.ndarray, SparseVector]:
    return unit_vectors(1, sum(text.encode()))[0], SPARSE.encode_query(text)


class TestEmbeddedStoreContract:
    def test_the_engine_filters(self, store: EdgeStore) -> None:
        assert store.native_filters is True

    def test_writes_count_and_bump_the_revision(
        self, empty_store: EdgeStore, chunks: list[Chunk]
    ) -> None:
        store = empty_store
        fill(store, chunks)
        assert store.count() == len(chunks)
        stored = store.stored_documents()
        assert stored["doc-0"] == ("hash-0", "docs/doc-0.md")
        before = store.revision
        store.delete_docs(["doc-0", "doc-1"])
        assert store.revision > before
        assert store.count() == len(chunks) - 8
        assert "doc-0" not in store.stored_documents()

    @pytest.mark.parametrize("flt", FILTERS)
    def test_hybrid_equals_native_filtering(
        self, store: EdgeStore, reference: QdrantStore, flt: QueryFilter
    ) -> None:
        for text in QUESTIONS:
            dense, sparse = query(text)
            ours = store.hybrid_search(dense, sparse, flt, limit=5, prefetch=10)
            native = reference.hybrid_search(dense, sparse, flt, limit=5, prefetch=10)
            same_ranking(ours.passages, native.passages)
            assert ours.best_dense == pytest.approx(native.best_dense, abs=1e-5)
            assert all(flt.accepts(p.chunk.payload()) for p in ours.passages)

    @pytest.mark.parametrize("flt", FILTERS)
    def test_best_dense_is_the_best_filtered_cosine(
        self, store: EdgeStore, flt: QueryFilter
    ) -> None:
        dense, sparse = query("mantelzorg respijtzorg logeeropvang")
        hits = store.hybrid_search(dense, sparse, flt, limit=5, prefetch=10)
        best = store.dense_query(dense, flt, limit=1)
        assert hits.passages and best
        assert hits.best_dense == pytest.approx(best[0].score, abs=1e-5)

    def test_municipality_keeps_other_gemeenten_out(self, store: EdgeStore) -> None:
        dense, sparse = query("gemeente loket wmo")
        found = store.hybrid_query(dense, sparse, QueryFilter(municipality="Breda"), 40, 40)
        places = {m for p in found for m in p.chunk.municipalities}
        assert places == {"Breda"}  # general ones (no gemeente) and Breda's own only
        assert any(not p.chunk.municipalities for p in found)

    def test_a_filter_with_few_points_returns_them_all(self, store: EdgeStore) -> None:
        flt = QueryFilter(laws=("jeugdwet",))
        dense, sparse = query("jeugdhulp")
        found = store.hybrid_query(dense, sparse, flt, limit=50, prefetch=50)
        expected = {c.id for c in synthetic_chunks(600) if flt.accepts(c.payload())}
        assert expected and {p.chunk.id for p in found} == expected

    @pytest.mark.parametrize("flt", FILTERS)
    def test_dense_query_equals_native(
        self, store: EdgeStore, reference: QdrantStore, flt: QueryFilter
    ) -> None:
        dense, _ = query("zorgverlof werkgever belasting")
        ours = store.dense_query(dense, flt, limit=3)
        native = reference.dense_query(dense, flt, limit=3)
        assert [p.chunk.id for p in ours] == [p.chunk.id for p in native]
        assert [p.score for p in ours] == pytest.approx([p.score for p in native], abs=1e-5)

    def test_dense_points_are_the_filtered_points_with_unit_vectors(
        self, store: EdgeStore, chunks: list[Chunk]
    ) -> None:
        found, vectors = store.dense_points(QueryFilter(kinds=("faq",)))
        assert found
        faq = QueryFilter(kinds=("faq",))  # FAQ phrasings are general: no gemeente
        assert {c.id for c in found} == {c.id for c in chunks if faq.accepts(c.payload())}
        assert vectors.shape == (len(found), DIM)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)

    def test_an_empty_collection_finds_nothing(self, empty_store: EdgeStore) -> None:
        empty_store.ensure_collection(DIM)
        dense, sparse = query("wmo")
        hits = empty_store.hybrid_search(dense, sparse, QueryFilter(), limit=5, prefetch=10)
        assert hits.passages == [] and hits.best_dense == 0.0
        assert empty_store.dense_points(QueryFilter(kinds=("faq",)))[0] == []


@pytest.mark.parametrize(
    ("payload", "flt", "accepted"),
    [
        ({"kind": "doc", "law": "wmo", "municipalities": []}, QueryFilter(), True),
        ({"kind": "doc", "law": "wmo"}, QueryFilter(), True),  # no key: general
        ({"kind": "doc", "law": "wmo", "municipalities": None}, QueryFilter(), True),
        ({"kind": "faq", "law": "wmo", "municipalities": []}, QueryFilter(), False),
        ({"kind": "doc", "law": "wmo", "municipalities": ["Breda"]}, QueryFilter(), False),
        (
            {"kind": "doc", "law": "wmo", "municipalities": ["Breda"]},
            QueryFilter(municipality="Breda"),
            True,
        ),
        (
            {"kind": "doc", "law": "wmo", "municipalities": ["Breda"]},
            QueryFilter(municipality="breda"),  # Qdrant's keyword match is exact
            False,
        ),
        ({"kind": "doc", "law": "zvw"}, QueryFilter(laws=("wmo",)), False),
        ({"kind": "doc", "law": "zvw"}, QueryFilter(laws=("wmo", "zvw")), True),
    ],
)
def test_python_filter_agrees_with_qdrant(
    payload: dict[str, object], flt: QueryFilter, accepted: bool
) -> None:
    assert flt.accepts(payload) is accepted
    client = QdrantClient(location=":memory:")
    store = QdrantStore(client, "one")
    store.ensure_collection(4)
    point = models.PointStruct(id=1, vector={"dense": [1.0, 0.0, 0.0, 0.0]}, payload=payload)
    client.upsert("one", [point])
    native = client.count("one", count_filter=build_filter(flt), exact=True).count
    assert native == int(accepted)
    client.close()


def test_cluster_settings_reach_the_server_collection(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Issue 11: a Qdrant cluster needs shards and replicas set when the collection is made."""
    from qdrant_client import QdrantClient

    from wegwijs.config import Settings, VectorStoreSettings
    from wegwijs.container import Container

    vs = VectorStoreSettings(
        mode="server", url="http://qdrant:6333", shard_number=3, replication_factor=2
    )
    built = Container(Settings(data_dir=tmp_path, vector_store=vs)).store  # no connection yet
    assert (built.shard_number, built.replication_factor, built.native_filters) == (3, 2, True)

    seen: dict[str, object] = {}
    client = QdrantClient(location=":memory:")
    real = client.create_collection

    def record(*args: object, **kwargs: object) -> bool:
        seen.update(kwargs)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(client, "create_collection", record)
    QdrantStore(client, "c", True, built.shard_number, built.replication_factor).ensure_collection(
        4
    )
    assert seen["shard_number"] == 3 and seen["replication_factor"] == 2
