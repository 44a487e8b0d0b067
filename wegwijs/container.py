"""The composition root: builds every service from the settings. The CLI, the chat app and the
eval runner ask it for services; tests build their own with other settings."""

from __future__ import annotations

import logging
from functools import cached_property
from typing import TYPE_CHECKING

from wegwijs.config import Settings
from wegwijs.contacts import load_contacts
from wegwijs.domain import Contact
from wegwijs.embedding import Embedder, SentenceTransformerEmbedder
from wegwijs.sparse import DutchSparseEncoder
from wegwijs.vectorstore import QdrantStore, VectorStore

if TYPE_CHECKING:
    from ingest.corpus import Corpus
    from ingest.pipeline import IngestPipeline

log = logging.getLogger("wegwijs")



class Container:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def embedder(self) -> Embedder:
        e = self.settings.embedding
        return SentenceTransformerEmbedder(
            self.settings.model_path,
            query_prefix=e.query_prefix,
            passage_prefix=e.passage_prefix,
            batch_size=e.batch_size,
            max_seq_length=e.max_seq_length,
            device=e.device,
        )

    @cached_property
    def sparse(self) -> DutchSparseEncoder:
        return DutchSparseEncoder()

    @cached_property
    def store(self) -> VectorStore:
        vs = self.settings.vector_store
        if vs.mode == "memory":
            return QdrantStore.memory(vs.collection)
        if vs.mode == "server":
            return QdrantStore.server(vs.url, vs.api_key, vs.collection)
        return QdrantStore.local(self.settings.qdrant_path, vs.collection)

    @cached_property
    def contacts(self) -> list[Contact]:
        return load_contacts(self.settings.corpus_dir / "contacts.yaml")

    def load_corpus(self) -> Corpus:
        from ingest.corpus import load_corpus

        return load_corpus(self.settings.corpus_dir)

    @cached_property
    def ingest_pipeline(self) -> IngestPipeline:
        from ingest.pipeline import IngestPipeline

        return IngestPipeline(self.store, self.embedder, self.sparse)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
