"""Shared fixtures: the real e5 model behind a disk cache, and containers built once per session.

- `shipped`: the shipped corpus (corpus/) ingested into an in-memory Qdrant;
- `fixed`: the small fixed test corpus (tests/data/corpus/) that golden files depend on.
Both use the calibrated thresholds below, not the defaults in wegwijs/config.py.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from tests.embedding_cache import CachedEmbedder
from wegwijs.config import EmbeddingSettings, RetrievalSettings, Settings, VectorStoreSettings
from wegwijs.container import Container
from wegwijs.embedding import SentenceTransformerEmbedder

pytest_plugins = ["tests.pg_server"]  # postgres_server, postgres_url: a real PostgreSQL

ROOT = Path(__file__).resolve().parent.parent
MODEL_PATH = ROOT / "var" / "models" / "multilingual-e5-small"
FIXED_CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
# Calibrated on assistant/data/retrieval_eval.jsonl (python -m assistant.calibrate_relevance).
CALIBRATED: dict[str, Any] = {"min_relevance": 0.845}


def make_settings(data_dir: Path, corpus_dir: Path, **overrides: Any) -> Settings:
    retrieval = {**CALIBRATED, **overrides.pop("retrieval", {})}
    return Settings(
        data_dir=data_dir,
        corpus_dir=corpus_dir,
        vector_store=VectorStoreSettings(mode="memory"),
        embedding=EmbeddingSettings(model_path=str(MODEL_PATH)),
        retrieval=RetrievalSettings(**retrieval),
        **overrides,
    )


@pytest.fixture(scope="session")
def embedder(request: pytest.FixtureRequest) -> Iterator[CachedEmbedder]:
    if not (MODEL_PATH / "config.json").exists():
        pytest.fail(f"no embedding model at {MODEL_PATH}: run `make install`")
    real = SentenceTransformerEmbedder(MODEL_PATH)
    folder = Path(request.config.cache.mkdir("wegwijs-embeddings"))
    cached = CachedEmbedder(real, folder, str(MODEL_PATH))
    yield cached
    cached.save()


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A copy of the fixed test corpus that a test may edit."""
    root = tmp_path / "corpus"
    shutil.copytree(FIXED_CORPUS, root)
    return root


def build_container(
    embedder: CachedEmbedder, data_dir: Path, corpus_dir: Path, **overrides: Any
) -> Container:
    container = Container(make_settings(data_dir, corpus_dir, **overrides))
    container.override("embedder", embedder)  # the shared, disk-cached e5 vectors
    return container


def ingested(embedder: CachedEmbedder, data_dir: Path, corpus_dir: Path) -> Container:
    container = build_container(embedder, data_dir, corpus_dir)
    report = container.ingest_pipeline.run(container.corpus)
    assert report.chunks > 0
    embedder.save()
    return container


@pytest.fixture(scope="session")
def shipped(
    embedder: CachedEmbedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Container]:
    container = ingested(embedder, tmp_path_factory.mktemp("shipped"), ROOT / "corpus")
    yield container
    container.close()


@pytest.fixture(scope="session")
def fixed(
    embedder: CachedEmbedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Container]:
    container = ingested(embedder, tmp_path_factory.mktemp("fixed"), FIXED_CORPUS)
    yield container
    container.close()


@pytest.fixture(scope="session")
def real_guards(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The guardrails as `make run` builds them: presidio + deduce, the int8 e5 guard heads."""
    from guardrails.factory import build_guardrails, embedder_if_present

    settings = make_settings(tmp_path_factory.mktemp("guards"), ROOT / "corpus")
    embedder = embedder_if_present(settings)
    if embedder is None:
        pytest.fail(f"no embedding model at {MODEL_PATH}: run `make install`")
    return build_guardrails(settings, embedder)


@pytest.fixture(scope="session")
def guard_classifier() -> Any:
    """The learned guard heads on the int8 e5 model, shared by every guardrails test."""
    from guardrails.classifier import GuardClassifier
    from guardrails.factory import embedder_if_present

    embedder = embedder_if_present(make_settings(ROOT / "var", ROOT / "corpus"))
    if embedder is None:
        pytest.fail(f"no embedding model at {MODEL_PATH}: run `make install`")
    return GuardClassifier(embedder)


@pytest.fixture(scope="module")
def guards(guard_classifier: Any) -> Any:
    """Guardrails with the regex PII stand-in, the test crisis contacts and the learned heads
    (the crisis, medical, injection and inspect tests)."""
    from guardrails.contacts import load_crisis_contacts
    from guardrails.inspector import Guardrails
    from tests.guardrails_support import RegexPiiRedactor

    contacts = load_crisis_contacts(Path(__file__).parent / "data" / "contacts.yaml")
    return Guardrails(Settings(), RegexPiiRedactor(), None, contacts, classifier=guard_classifier)
