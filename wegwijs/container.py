"""The composition root: builds every service from the settings. The CLI, the chat app and the
eval runner ask it for services; tests build their own with other settings.

Every service is a `cached_property`, built on first use. Tests replace one with
`container.override(name, value)`: alone it keeps the replacement for the container's life (e.g.
the shared disk-cached embedder); as `with container.override(name, value):` the service that
was there before (built or not) comes back after the block. Unknown names raise AttributeError.
"""

from __future__ import annotations

import asyncio
import logging
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from wegwijs.chat import ChatService
from wegwijs.config import Settings
from wegwijs.conversations import (
    ConversationStore,
    MemoryConversationStore,
    SqlConversationStore,
)
from wegwijs.edge_store import EdgeStore
from wegwijs.embedding import Embedder, HashingEmbedder, SentenceTransformerEmbedder
from wegwijs.sparse import DutchSparseEncoder
from wegwijs.vectorstore import QdrantStore, VectorStore

if TYPE_CHECKING:
    from assistant.engine import AnswerEngine
    from assistant.providers import ProviderDirectory
    from assistant.retrieval import Retriever
    from assistant.strategies.card import CardStrategy
    from assistant.strategies.generative import GenerativeStrategy
    from guardrails.inspector import Guardrails
    from ingest.corpus import Corpus
    from ingest.last_good import LastGood
    from ingest.pipeline import IngestPipeline

log = logging.getLogger("wegwijs")

# Services built from the corpus; dropped after a re-ingest so they rebuild from the new one.
CORPUS_SERVICES = ("corpus", "provider_directory", "card_strategy", "engine")


class Override:
    """One service replaced (see the module docstring); undone when its `with` block ends."""

    _MISSING = object()

    def __init__(self, container: Container, name: str, value: Any) -> None:
        if not isinstance(getattr(type(container), name, None), cached_property):
            raise AttributeError(f"{type(container).__name__} has no service {name!r}")
        self._services = container.__dict__
        self._name = name
        self._before = self._services.get(name, self._MISSING)
        self._services[name] = value

    def __enter__(self) -> Override:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._before is self._MISSING:
            self._services.pop(self._name, None)
        else:
            self._services[self._name] = self._before


class Container:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def override(self, name: str, value: Any) -> Override:
        """Serve `value` as the service `name` (tests); see the module docstring."""
        return Override(self, name, value)

    @cached_property
    def embedder(self) -> Embedder:
        e = self.settings.embedding
        if e.backend == "hashing":
            return HashingEmbedder()
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
        if vs.mode == "server":
            return QdrantStore.server(
                vs.url, vs.api_key, vs.collection, vs.shard_number, vs.replication_factor
            )
        if vs.mode == "memory":
            return EdgeStore.temporary()
        return EdgeStore.open(self.settings.edge_path)

    def load_corpus(self) -> Corpus:
        """The corpus on disk; a card file that breaks is served in its last good version."""
        from ingest.corpus import load_corpus

        return load_corpus(self.settings.corpus_dir, last_good=self.last_good)

    @cached_property
    def last_good(self) -> LastGood:
        from ingest.last_good import LastGood

        return LastGood(self.settings.data_path / "last-good")

    @cached_property
    def ingest_pipeline(self) -> IngestPipeline:
        from ingest.pipeline import IngestPipeline

        return IngestPipeline(self.store, self.embedder, self.sparse)

    @cached_property
    def corpus(self) -> Corpus:
        """The corpus as loaded at start-up (FAQ answers and provider listings come from it)."""
        return self.load_corpus()

    @cached_property
    def retriever(self) -> Retriever:
        from assistant.retrieval import Retriever

        return Retriever(self.embedder, self.sparse, self.store, self.settings)

    @cached_property
    def provider_directory(self) -> ProviderDirectory:
        from assistant.providers import ProviderDirectory

        providers = self.corpus.providers
        if self.settings.profile == "production":  # example listings are never served there
            served = [p for p in providers if not p.example]
            if len(served) < len(providers):
                log.warning(
                    "production: %d example listings not served", len(providers) - len(served)
                )
            providers = served
        return ProviderDirectory(providers, self.corpus.pc4)

    @cached_property
    def card_strategy(self) -> CardStrategy:
        """Answer cards, matched with the phrasing vectors the ingest stored."""
        from assistant.matching import CARD_FILTER, CardMatcher, Scorer
        from assistant.strategies.card import CardStrategy, load_card_texts

        self.store.ensure_collection(self.embedder.dim)
        matcher = CardMatcher.from_store(
            self.corpus.cards, self.store.dense_points(CARD_FILTER), self.embedder, Scorer.load()
        )
        return CardStrategy(matcher, self.corpus.gemeenten, load_card_texts())

    @cached_property
    def http(self) -> httpx.AsyncClient:
        """The process' one pooled HTTP client (the LLM server); closed by `aclose` / `close`."""
        return httpx.AsyncClient()

    @cached_property
    def generative(self) -> GenerativeStrategy | None:
        """Generated answers when an LLM is configured (backend "openai"), over `http`."""
        if self.settings.llm.backend != "openai":
            return None
        from assistant.strategies.generative import GenerativeStrategy

        return GenerativeStrategy.from_settings(self.settings, http=self.http)

    @cached_property
    def engine(self) -> AnswerEngine:
        from assistant.engine import AnswerEngine
        from assistant.strategies.local import LocalProvidersStrategy
        from assistant.strategies.no_answer import WhoToAsk, load_texts

        texts = load_texts()
        generative = self.generative
        llm_errors: tuple[type[BaseException], ...] = (TimeoutError, ConnectionError)
        if generative is not None:
            from assistant.llm import LlmError

            llm_errors = (LlmError, TimeoutError)
        return AnswerEngine(
            self.retriever,
            self.card_strategy,
            WhoToAsk(self.settings.organisation, texts),
            generative,
            LocalProvidersStrategy(self.provider_directory, texts),
            self.settings,
            llm_errors=llm_errors,
        )

    @cached_property
    def guardrails(self) -> Guardrails:
        """Needs neither the vector store, the LLM nor the database (crisis must always work)."""
        from guardrails.factory import build_guardrails, embedder_if_present

        return build_guardrails(self.settings, embedder_if_present(self.settings))

    @cached_property
    def conversations(self) -> ConversationStore:
        if self.settings.store.database_url == "memory":
            return MemoryConversationStore()
        self.settings.data_path.mkdir(parents=True, exist_ok=True)
        return SqlConversationStore(self.settings.database_url)

    @cached_property
    def chat(self) -> ChatService:
        return ChatService(
            lambda: self.guardrails,
            engine=lambda: self.engine,
            store=lambda: self.conversations,
            municipality_for=self.municipality_for,
        )

    def municipality_for(self, postcode4: str | None, redacted_text: str) -> str | None:
        """The gemeente for local answers: from the postcode, else a town named in the text."""
        directory = self.provider_directory
        from_postcode = directory.gemeente_for(postcode4) if postcode4 else None
        return from_postcode or directory.gemeente_for(redacted_text)

    def starter_questions(self, count: int) -> list[str]:
        return [entry.question for entry in self.corpus.faq[:count]]

    def corpus_changed(self, corpus: Corpus) -> None:
        """After a re-ingest: FAQ answers and listings come from the new corpus from now on."""
        for name in CORPUS_SERVICES:
            self.__dict__.pop(name, None)
        self.__dict__["corpus"] = corpus

    async def aclose(self) -> None:
        """Close what was built, in the event loop that used the HTTP client."""
        http = self.__dict__.pop("http", None)
        if http is not None:
            await http.aclose()
        self.close()

    def close(self) -> None:
        """Close what was built. From inside a running loop the HTTP client is closed by a task
        of that loop (prefer `await aclose()` there)."""
        http = self.__dict__.pop("http", None)
        if http is not None:
            _close_http(http)
        if "store" in self.__dict__:
            self.store.close()


_closing: set[asyncio.Task[None]] = set()  # close tasks in flight (asyncio keeps weak refs)


def _close_http(http: httpx.AsyncClient) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        try:
            asyncio.run(http.aclose())
        except Exception:
            log.debug("http client: closed without its event loop", exc_info=True)
        return
    task = loop.create_task(http.aclose())
    _closing.add(task)
    task.add_done_callback(_closing.discard)
