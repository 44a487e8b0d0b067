"""Ingest never leaves a hole (issue 11): killed at any moment, the next run ends with the full
index; and while it runs, no document ever disappears for a reader.

Both use the store the container builds from the default settings (the embedded store), so they
keep covering the default when it changes. The kill test runs the real `wegwijs ingest` /
`wegwijs ingest --rebuild` CLI, with the fast hashing embedder (`embedding.backend`), in
processes forked from one warm process (tests/forked.py), and kills each with SIGKILL at a
random moment after its first write to the store (before it, nothing has changed yet). The
reader test uses the real e5 model.
"""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import ingest.pipeline as pipeline_module
from ingest.corpus import load_corpus
from ingest.pipeline import plan
from tests.corpus_factory import small_corpus
from tests.forked import Forker
from wegwijs.config import EmbeddingSettings, Settings
from wegwijs.container import Container
from wegwijs.vectorstore import VectorStore

ROOT = Path(__file__).resolve().parent.parent
MODEL_PATH = ROOT / "var" / "models" / "multilingual-e5-small"
KILLS = 20
SKIP_IN_DATA_DIR = ("last-good",)  # written while the corpus loads, before the store is touched


def cli(*argv: str) -> None:
    """A forked child: the `wegwijs` command line, as the console script runs it."""
    from wegwijs.cli import app

    app(list(argv), prog_name="wegwijs")


def settings_for(
    data_dir: Path, corpus_dir: Path, backend: str = "sentence-transformers"
) -> Settings:
    """The local profile's defaults (the embedded store), in this data dir."""
    return Settings(
        profile="local",
        data_dir=data_dir,
        corpus_dir=corpus_dir,
        embedding=EmbeddingSettings(model_path=str(MODEL_PATH), backend=backend),
    )


def child_env(data_dir: Path, corpus_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEGWIJS_")}
    env.update(
        WEGWIJS_PROFILE="local",
        WEGWIJS_DATA_DIR=str(data_dir),
        WEGWIJS_CORPUS_DIR=str(corpus_dir),
        WEGWIJS_EMBEDDING__BACKEND="hashing",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONPATH=str(ROOT),
    )
    return env


def edit_every_document(root: Path, originals: dict[Path, str], version: int) -> None:
    """Change every document and card; odd versions add a section (more points per document,
    so a shorter next version leaves points to delete)."""
    for path, text in originals.items():
        if path.suffix == ".md":
            extra = f"\n## Versie {version}\n\nDit deel hoort bij versie {version}.\n"
            path.write_text(
                text + f"\nDit is versie {version}.\n" + (extra if version % 2 else ""), "utf-8"
            )
        else:
            path.write_text(
                text.replace("answer: |\n", f"answer: |\n  Versie {version}.\n"), "utf-8"
            )


def store_state(data_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """Every file of the data dir (but the corpus' last-good copies): path, size, mtime."""
    files = []
    for folder, dirs, names in os.walk(data_dir):
        dirs[:] = [d for d in dirs if d not in SKIP_IN_DATA_DIR]
        for name in names:
            path = os.path.join(folder, name)
            try:
                st = os.stat(path)
            except FileNotFoundError:
                continue
            files.append((path, st.st_size, st.st_mtime_ns))
    return tuple(sorted(files))


def assert_full_index(store: VectorStore, corpus_dir: Path) -> int:
    """Every planned point of every document, each with its version's hash and count, and no
    other point; returns the number of points."""
    planned = plan(load_corpus(corpus_dir))
    expected = {
        chunk.id: (digest, len(chunks)) for digest, chunks in planned.values() for chunk in chunks
    }
    got = {
        point_id: (payload.get("doc_hash"), payload.get("doc_chunks"))
        for point_id, payload in store.point_payloads(["doc_hash", "doc_chunks"])
    }
    missing = Counter(
        doc for doc, (_, chunks) in planned.items() for c in chunks if c.id not in got
    )
    assert got == expected, f"missing points per document: {dict(missing)}"
    return len(got)


def assert_full_after_run(settings: Settings) -> int:
    """The check above on the store as the app opens it (the killed process is gone)."""
    container = Container(settings)
    try:
        return assert_full_index(container.store, settings.corpus_dir)
    finally:
        container.close()


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "var", small_corpus(tmp_path / "corpus")


def test_ingest_killed_at_random_moments_ends_with_the_full_index_on_the_next_run(
    tiny: tuple[Path, Path],
) -> None:
    data_dir, corpus_dir = tiny
    settings = settings_for(data_dir, corpus_dir, "hashing")
    originals = {p: p.read_text("utf-8") for p in sorted(corpus_dir.rglob("*")) if p.is_file()}
    originals = {p: t for p, t in originals.items() if p.suffix == ".md" or "faq" in p.parts}
    rng = random.Random(20261201)
    preload = ["tests.test_ingest_crash", "wegwijs.cli", "ingest.remote", "ingest.pipeline"]
    runs: Counter[str] = Counter()
    reports: list[Path] = []
    with Forker(preload, env=child_env(data_dir, corpus_dir)) as forker:

        def run(args: list[str], kill_window: float | None) -> int:
            """One `wegwijs ingest`; with a window, SIGKILLed at a random moment within it
            after its first change to the store."""
            out = data_dir.parent / f"run-{len(reports)}.txt"
            reports.append(out)
            before = store_state(data_dir)
            started = time.monotonic()
            forker.start("tests.test_ingest_crash:cli", ["ingest", "--json", *args], out)
            if kill_window is None:
                status = forker.finish(kill=False)
                assert status == 0, out.read_text(errors="replace")
                return status
            while store_state(data_dir) == before and time.monotonic() - started < 120:
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, kill_window))
            return forker.finish(kill=True)

        # First a whole run, to learn how long a run writes for (no assert on time).
        data_dir.mkdir(parents=True)
        before = store_state(data_dir)
        forker.start("tests.test_ingest_crash:cli", ["ingest", "--json"], data_dir.parent / "0")
        started = time.monotonic()
        while store_state(data_dir) == before and time.monotonic() - started < 120:
            time.sleep(0.002)
        first_write = time.monotonic()
        assert forker.finish(kill=False) == 0, (data_dir.parent / "0").read_text()
        window = time.monotonic() - first_write
        points = assert_full_after_run(settings)

        version = 0
        while runs["killed"] < KILLS:
            version += 1
            edit_every_document(corpus_dir, originals, version)
            args = rng.choice([[], ["--rebuild"]])
            status = run(args, kill_window=window * 1.2)
            if status == -signal.SIGKILL:
                runs["killed"] += 1
                run([], kill_window=None)  # the next run
                report = json.loads(reports[-1].read_text("utf-8").splitlines()[-1])
                runs["next run repaired documents"] += report.get("repaired", 0) > 0
            else:
                assert status == 0
                runs["finished before the kill"] += 1
            points = assert_full_after_run(settings)
    print(dict(runs))
    assert points > 0 and runs["killed"] == KILLS, runs


class Reader(threading.Thread):
    """Counts every document's points in the live store, again and again."""

    def __init__(self, container: Container) -> None:
        super().__init__(daemon=True)
        self.container = container
        self.stop = threading.Event()
        self.samples: list[dict[str, Counter[Any]]] = []
        self.errors: list[BaseException] = []

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                per_doc: dict[str, Counter[Any]] = {}
                for _, p in self.container.store.point_payloads(["doc_id", "doc_hash"]):
                    per_doc.setdefault(str(p["doc_id"]), Counter())[p["doc_hash"]] += 1
                self.samples.append(per_doc)
            except Exception as exc:  # noqa: BLE001 - a failed read is a finding too
                self.errors.append(exc)
            time.sleep(0.001)


def test_no_document_disappears_for_a_reader_while_every_document_changes(
    embedder: Any, corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    container = Container(settings_for(tmp_path / "var", corpus_copy))
    container.override("embedder", embedder)  # the real e5 model behind the test cache
    try:
        container.ingest_pipeline.run(container.load_corpus())
        docs = {str(p["doc_id"]) for _, p in container.store.point_payloads(["doc_id"])}
        originals = {p: p.read_text("utf-8") for p in corpus_copy.rglob("*.md")}
        originals |= {p: p.read_text("utf-8") for p in (corpus_copy / "faq").glob("*.yaml")}
        for rebuild, version in ((False, 1), (True, 2)):
            edit_every_document(corpus_copy, originals, version)
            reader = Reader(container)
            reader.start()
            while not reader.samples:
                time.sleep(0.001)
            # Each batch write is atomic in the store and the writer may hold the GIL from
            # batch to batch: let the reader take a fresh sample after every batch, so it
            # does look at the index between two writes (old and new versions side by side).
            store, upsert = container.store, container.store.upsert

            def upsert_then_let_the_reader_look(
                *args: Any, _r: Reader = reader, _write: Any = upsert
            ) -> None:
                _write(*args)
                wanted, deadline = len(_r.samples) + 2, time.monotonic() + 5
                while len(_r.samples) < wanted and time.monotonic() < deadline:
                    time.sleep(0.001)

            monkeypatch.setattr(store, "upsert", upsert_then_let_the_reader_look)
            monkeypatch.setattr(pipeline_module, "BATCH", 8)  # many writes, not one
            report = container.ingest_pipeline.run(container.load_corpus(), rebuild=rebuild)
            monkeypatch.undo()
            reader.stop.set()
            reader.join()
            assert not reader.errors, reader.errors
            assert (report.updated or report.added) == len(docs)
            for sample in reader.samples:
                assert set(sample) == docs, f"gone during the ingest: {docs - set(sample)}"
            hashes = [frozenset(h for c in s.values() for h in c) for s in reader.samples]
            if not rebuild:  # the reader did see the ingest halfway (old and new versions)
                assert any(len(h) > len(hashes[0]) for h in hashes), len(hashes)
            assert_full_index(container.store, corpus_copy)
    finally:
        container.close()
