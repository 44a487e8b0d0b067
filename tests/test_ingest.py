"""Ingest: incremental, idempotent, and robust against broken corpus files."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from ingest.corpus import CorpusUnavailable, load_corpus
from ingest.pipeline import IngestPipeline
from tests.corpus_factory import small_corpus, write_doc
from wegwijs.edge_store import EdgeStore
from wegwijs.embedding import HashingEmbedder
from wegwijs.sparse import DutchSparseEncoder
from wegwijs.vectorstore import QueryFilter, StoreLockedError


@pytest.fixture
def corpus_root(tmp_path: Path) -> Path:
    return small_corpus(tmp_path / "corpus")


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[IngestPipeline]:
    store = EdgeStore.open(tmp_path / "edge")
    yield IngestPipeline(store, HashingEmbedder(), DutchSparseEncoder())
    store.close()


def test_first_run_adds_everything_and_second_run_changes_nothing(
    corpus_root: Path, pipeline: IngestPipeline
) -> None:
    first = pipeline.run(load_corpus(corpus_root))
    assert (first.documents, first.added, first.unchanged) == (4, 4, 0)
    assert first.chunks == pipeline.store.count()
    second = pipeline.run(load_corpus(corpus_root))
    assert (second.added, second.updated, second.removed, second.unchanged) == (0, 0, 0, 4)
    assert second.chunks == first.chunks == pipeline.store.count()


def test_editing_one_document_updates_exactly_that_one(
    corpus_root: Path, pipeline: IngestPipeline
) -> None:
    pipeline.run(load_corpus(corpus_root))
    path = corpus_root / "docs" / "zvw" / "zvw-wijkverpleging.md"
    path.write_text(path.read_text("utf-8") + "\nWondzorg valt ook onder wijkverpleging.\n")
    report = pipeline.run(load_corpus(corpus_root))
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 0, 3)
    texts = [c.chunk.text for c in _all(pipeline, "zvw-wijkverpleging")]
    assert any("Wondzorg" in t for t in texts)


def test_deleted_document_is_removed(corpus_root: Path, pipeline: IngestPipeline) -> None:
    pipeline.run(load_corpus(corpus_root))
    (corpus_root / "docs" / "wmo" / "wmo-breda-loket.md").unlink()
    report = pipeline.run(load_corpus(corpus_root))
    assert report.removed == 1
    assert "wmo-breda-loket" not in pipeline.store.stored_documents()


def test_malformed_file_is_reported_with_line_and_the_rest_ingests(
    corpus_root: Path, pipeline: IngestPipeline
) -> None:
    bad = corpus_root / "docs" / "wmo" / "kapot.md"
    bad.write_text("---\nid: kapot\ntitle: [niet gesloten\nlaw: wmo\n---\n# Tekst\n", "utf-8")
    corpus = load_corpus(corpus_root)
    report = pipeline.run(corpus)
    messages = [str(p) for p in report.problems]
    assert any(m.startswith("docs/wmo/kapot.md:") for m in messages), messages
    line = int(next(m for m in messages if "kapot.md" in m).split(":")[1])
    assert 2 <= line <= 5
    assert report.added == 4


def test_a_document_that_breaks_keeps_its_previous_version(
    corpus_root: Path, pipeline: IngestPipeline
) -> None:
    pipeline.run(load_corpus(corpus_root))
    path = corpus_root / "docs" / "zvw" / "zvw-wijkverpleging.md"
    path.write_text(path.read_text("utf-8").replace("law: zvw", "law: onbekend"), "utf-8")
    report = pipeline.run(load_corpus(corpus_root))
    assert report.removed == 0
    assert "zvw-wijkverpleging" in pipeline.store.stored_documents()
    assert any("onbekende wet" in str(p) for p in report.problems)


def test_faq_phrasings_are_indexed_as_faq(corpus_root: Path, pipeline: IngestPipeline) -> None:
    pipeline.run(load_corpus(corpus_root))
    faq = _all(pipeline, "faq-hulp-aanvragen", kinds=("faq",))
    assert len(faq) == 4  # question + 3 variants
    assert {c.chunk.kind for c in faq} == {"faq"}
    [whole] = _all(pipeline, "faq-hulp-aanvragen", kinds=("card",))  # question + answer
    assert whole.chunk.text.startswith("Hoe vraag ik hulp aan bij de gemeente?\n")
    assert whole.chunk.read_more.startswith("https://www.regelhulp.nl/")


def test_rebuild_gives_the_same_count(corpus_root: Path, pipeline: IngestPipeline) -> None:
    first = pipeline.run(load_corpus(corpus_root))
    rebuilt = pipeline.run(load_corpus(corpus_root), rebuild=True)
    assert rebuilt.added == 4 and rebuilt.chunks == first.chunks == pipeline.store.count()


def test_a_document_missing_points_is_written_again_and_reported_repaired(
    corpus_root: Path, pipeline: IngestPipeline
) -> None:
    """Issue 11: a killed ingest left 256 of 431 chunks and the next run said "unchanged"."""
    first = pipeline.run(load_corpus(corpus_root))
    ids = [
        i
        for i, p in pipeline.store.point_payloads(["doc_id"])
        if p["doc_id"] == "faq-hulp-aanvragen"
    ]
    pipeline.store.delete_points(ids[:2])  # as if the ingest died halfway through this card
    report = pipeline.run(load_corpus(corpus_root))
    assert (report.repaired, report.unchanged, report.added, report.updated) == (1, 3, 0, 0)
    assert pipeline.store.count() == first.chunks == report.chunks
    assert report.to_json()["repaired"] == 1
    again = pipeline.run(load_corpus(corpus_root))
    assert (again.repaired, again.unchanged) == (0, 4)


def test_leftover_points_of_an_old_version_are_deleted(
    corpus_root: Path, pipeline: IngestPipeline
) -> None:
    """A kill after writing a shorter new version but before deleting the old tail."""
    pipeline.run(load_corpus(corpus_root))
    kept = {
        i
        for i, p in pipeline.store.point_payloads(["doc_id"])
        if p["doc_id"] == "zvw-wijkverpleging"
    }
    extra = replace(
        _all(pipeline, "zvw-wijkverpleging")[0].chunk, id=str(uuid.uuid4()), doc_hash="old"
    )
    embedder = HashingEmbedder()
    pipeline.store.upsert(
        [extra], embedder.embed_passages([extra.text]), [DutchSparseEncoder().encode_document("x")]
    )
    report = pipeline.run(load_corpus(corpus_root))
    assert (report.repaired, report.unchanged) == (1, 3)
    assert extra.id not in dict(pipeline.store.point_payloads([]))
    assert kept <= set(dict(pipeline.store.point_payloads([])))


def test_a_rebuild_of_an_empty_corpus_keeps_the_index(
    corpus_root: Path, pipeline: IngestPipeline, tmp_path: Path
) -> None:
    first = pipeline.run(load_corpus(corpus_root))
    empty = tmp_path / "leeg"
    (empty / "docs").mkdir(parents=True)
    with pytest.raises(CorpusUnavailable):
        pipeline.run(load_corpus(empty), rebuild=True)
    assert pipeline.store.count() == first.chunks


def test_duplicate_ids_are_an_error(corpus_root: Path) -> None:
    write_doc(corpus_root, "zvw-wijkverpleging", "# Dubbel\n\nNog een keer.\n", law="wmo")
    corpus = load_corpus(corpus_root)
    assert any("staat ook in" in p.message for p in corpus.problems)


def test_local_store_is_one_process_per_folder(tmp_path: Path) -> None:
    first = EdgeStore.open(tmp_path / "edge")
    try:
        with pytest.raises(StoreLockedError):
            EdgeStore.open(tmp_path / "edge")
    finally:
        first.close()
    EdgeStore.open(tmp_path / "edge").close()  # closing released the lock


def _all(pipeline: IngestPipeline, doc_id: str, kinds: tuple[str, ...] = ("doc",)) -> list:
    embedder = HashingEmbedder()
    sparse = DutchSparseEncoder()
    hits = pipeline.store.hybrid_query(
        embedder.embed_queries([doc_id])[0],
        sparse.encode_query(doc_id),
        QueryFilter(kinds=kinds, municipality="Breda"),
        limit=100,
        prefetch=100,
    )
    return [h for h in hits if h.chunk.doc_id == doc_id]
