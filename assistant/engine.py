"""The answer engine: local providers, then FAQ, then generative (when configured), else
extractive; an honest no-answer when nothing relevant is found. It only receives redacted text
(the guardrails run first) and never sees the raw message.

Order and strategy values (the contract allows faq | generative | extractive | none):
1. a "near me" question with a service word -> provider listings by structured filter
   (strategy "extractive": composed from stored data; "none" when we must ask for the place);
2. an FAQ phrasing above `retrieval.faq_threshold` -> the approved answer verbatim ("faq");
3. no relevant passage (dense cosine < `retrieval.min_relevance`) -> who to ask ("none");
4. an LLM configured -> generated answer with checked citations ("generative"); when the LLM
   fails or times out -> the extractive answer with a short note, `low_confidence` set;
5. otherwise the extractive answer ("extractive").

Generative streaming: the strategy's `stream()` yields raw text deltas; `finish(text, passages)`
then runs the citation check on the joined text and returns the checked `Answer`.
The text of the FinalAnswer is authoritative: after a failure mid-stream (or a citation check
that removed text) the widget replaces what it showed with it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from assistant.base import AnswerRequest
from assistant.retrieval import Retrieval, Retriever
from assistant.strategies.extractive import ExtractiveStrategy
from assistant.strategies.faq import FaqStrategy
from assistant.strategies.local import LocalProvidersStrategy
from wegwijs.config import Settings
from wegwijs.domain import Answer, ScoredChunk, Strategy

log = logging.getLogger("wegwijs.engine")


class Generative(Protocol):
    """The generative strategy as the engine uses it (assistant.strategies.generative)."""

    async def answer(
        self, request: AnswerRequest, passages: list[ScoredChunk]
    ) -> Answer | None: ...

    def stream(self, request: AnswerRequest, passages: list[ScoredChunk]) -> AsyncIterator[str]: ...

    def finish(self, text: str, passages: list[ScoredChunk]) -> Answer: ...


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class FinalAnswer:
    answer: Answer


AnswerEvent = TextDelta | FinalAnswer


class AnswerEngine:
    def __init__(
        self,
        retriever: Retriever,
        faq: FaqStrategy,
        extractive: ExtractiveStrategy,
        generative: Generative | None,
        providers: LocalProvidersStrategy,
        settings: Settings,
        llm_errors: tuple[type[BaseException], ...] = (TimeoutError, ConnectionError),
    ) -> None:
        self.retriever = retriever
        self.faq = faq
        self.extractive = extractive
        self.generative = generative
        self.providers = providers
        self.settings = settings
        self.llm_errors = llm_errors  # the LLM client's errors: fall back to extractive

    async def answer(self, request: AnswerRequest) -> Answer:
        started = time.perf_counter()
        answer = await self._direct(request)
        if answer is None:
            found = await self._search(request)
            answer = await self._from_passages(request, found)
            if not answer.retrieved:
                answer.retrieved = found.passages
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer

    async def stream(self, request: AnswerRequest) -> AsyncIterator[AnswerEvent]:
        """Text deltas, then the final Answer. Only the generative path sends several deltas."""
        started = time.perf_counter()
        answer = await self._direct(request)
        if answer is None:
            found = await self._search(request)
            if found.relevant and self.generative is not None:
                async for event in self._stream_generated(request, found):
                    if isinstance(event, FinalAnswer):
                        answer = event.answer
                    else:
                        yield event
            else:
                answer = await self._from_passages(request, found)
                yield TextDelta(answer.answer)
            assert answer is not None
            if not answer.retrieved:
                answer.retrieved = found.passages
        else:
            yield TextDelta(answer.answer)
        answer.latency_ms = (time.perf_counter() - started) * 1000
        yield FinalAnswer(answer)

    async def _direct(self, request: AnswerRequest) -> Answer | None:
        """Answers that need no passage retrieval: local listings, then the FAQ."""
        local = await self.providers.answer(request, [])
        if local is not None:
            return local
        return await asyncio.to_thread(self.faq.answer_now, request)

    async def _search(self, request: AnswerRequest) -> Retrieval:
        return await asyncio.to_thread(
            self.retriever.search, request.question, request.municipality
        )

    async def _from_passages(self, request: AnswerRequest, found: Retrieval) -> Answer:
        if not found.relevant:
            return self.extractive.no_answer(request, found.passages)
        if self.generative is not None:
            try:
                generated = await self.generative.answer(request, found.passages)
            except self.llm_errors as exc:
                return await self._fallback(request, found, exc)
            if generated is not None and generated.answer.strip():
                return generated
        return await self._extractive(request, found)

    async def _stream_generated(
        self, request: AnswerRequest, found: Retrieval
    ) -> AsyncIterator[AnswerEvent]:
        assert self.generative is not None
        final: Answer | None = None
        sent = False
        parts: list[str] = []
        try:
            async for delta in self.generative.stream(request, found.passages):
                if delta:
                    parts.append(delta)
                    sent = True
                    yield TextDelta(delta)
            final = self.generative.finish("".join(parts), found.passages)
        except self.llm_errors as exc:
            final = await self._fallback(request, found, exc)
        if not final.answer.strip():  # the citation check left nothing to show
            final = await self._fallback(request, found, ValueError("empty generated answer"))
            sent = False
        if not sent:
            yield TextDelta(final.answer)
        yield FinalAnswer(final)

    async def _fallback(
        self, request: AnswerRequest, found: Retrieval, exc: BaseException
    ) -> Answer:
        log.warning("LLM unavailable (%s); extractive fallback", type(exc).__name__)
        answer = await self._extractive(request, found)
        answer.low_confidence = True
        if answer.strategy is Strategy.extractive:
            answer.answer = f"{answer.answer}\n\n{self.extractive.texts['fallback_note']}"
        return answer

    async def _extractive(self, request: AnswerRequest, found: Retrieval) -> Answer:
        answer = await asyncio.to_thread(self.extractive.answer_now, request, found.passages)
        return answer or self.extractive.no_answer(request, found.passages)
