"""The answer engine: local providers, then answer cards, then generative (when configured);
else "Bedoel je...?" with close cards, else an honest no-answer. It only receives redacted text
(the guardrails run first) and never sees the raw message.

Order and strategy values (faq | card | generative | extractive | none):
1. a chosen button (`request.card_id`) -> that card ("card"/"faq");
2. a "near me" question with a service word -> provider listings by structured filter
   (strategy "extractive": composed from stored data; "none" when we must ask for the place);
3. a card above the calibrated threshold -> the card verbatim with its sources and the local
   next step ("faq" for the organisation's approved cards, "card" for the library);
4. an LLM configured and a relevant passage -> generated answer with checked citations
   ("generative"); when the LLM fails or times out -> step 5 with a short note;
5. close cards -> "Bedoel je...?" buttons (`choices`, strategy "none"); nothing close -> who to
   ask ("none"). Text cut from different documents is never stitched into an answer.

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
from assistant.matching import Decision
from assistant.retrieval import Retrieval, Retriever
from assistant.strategies.card import CardStrategy
from assistant.strategies.local import LocalProvidersStrategy
from assistant.strategies.no_answer import WhoToAsk
from wegwijs.config import Settings
from wegwijs.domain import Answer, ScoredChunk

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
        cards: CardStrategy,
        who_to_ask: WhoToAsk,
        generative: Generative | None,
        providers: LocalProvidersStrategy,
        settings: Settings,
        llm_errors: tuple[type[BaseException], ...] = (TimeoutError, ConnectionError),
    ) -> None:
        self.retriever = retriever
        self.cards = cards
        self.who_to_ask = who_to_ask
        self.generative = generative
        self.providers = providers
        self.settings = settings
        self.llm_errors = llm_errors  # the LLM client's errors: fall back

    async def answer(self, request: AnswerRequest) -> Answer:
        started = time.perf_counter()
        answer, decision = await self._direct(request)
        if answer is None:
            found = await self._search(request)
            answer = await self._from_passages(request, found, decision)
            if not answer.retrieved:
                answer.retrieved = found.passages
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer

    async def stream(self, request: AnswerRequest) -> AsyncIterator[AnswerEvent]:
        """Text deltas, then the final Answer. Only the generative path sends several deltas."""
        started = time.perf_counter()
        answer, decision = await self._direct(request)
        if answer is None:
            found = await self._search(request)
            if found.relevant and self.generative is not None:
                async for event in self._stream_generated(request, found, decision):
                    if isinstance(event, FinalAnswer):
                        answer = event.answer
                    else:
                        yield event
            else:
                answer = await self._from_passages(request, found, decision)
                yield TextDelta(answer.answer)
            assert answer is not None
            if not answer.retrieved:
                answer.retrieved = found.passages
        else:
            yield TextDelta(answer.answer)
        answer.latency_ms = (time.perf_counter() - started) * 1000
        yield FinalAnswer(answer)

    async def _direct(self, request: AnswerRequest) -> tuple[Answer | None, Decision | None]:
        """Answers that need no passage retrieval: a chosen card, local listings, a card."""
        if request.card_id:
            card = self.cards.card(request.card_id)
            if card is not None:
                return self.cards.show(card, request), None
        local = await self.providers.answer(request, [])
        if local is not None:
            return local, None
        decision = await asyncio.to_thread(self.cards.decide, request)
        if decision.card is not None:
            return self.cards.show(decision.card.card, request, decision.card), decision
        return None, decision

    async def _search(self, request: AnswerRequest) -> Retrieval:
        return await asyncio.to_thread(
            self.retriever.search, request.question, request.municipality
        )

    async def _from_passages(
        self, request: AnswerRequest, found: Retrieval, decision: Decision | None
    ) -> Answer:
        if found.relevant and self.generative is not None:
            try:
                generated = await self.generative.answer(request, found.passages)
            except self.llm_errors as exc:
                return self._fallback(request, found, decision, exc)
            if generated is not None and generated.answer.strip():
                return generated
        return self._no_card(request, found, decision)

    async def _stream_generated(
        self, request: AnswerRequest, found: Retrieval, decision: Decision | None
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
            final = self._fallback(request, found, decision, exc)
        if not final.answer.strip():  # the citation check left nothing to show
            final = self._fallback(request, found, decision, ValueError("empty generated answer"))
            sent = False
        if not sent:
            yield TextDelta(final.answer)
        yield FinalAnswer(final)

    def _fallback(
        self,
        request: AnswerRequest,
        found: Retrieval,
        decision: Decision | None,
        exc: BaseException,
    ) -> Answer:
        log.warning("LLM unavailable (%s); card choices or who to ask", type(exc).__name__)
        answer = self._no_card(request, found, decision)
        answer.low_confidence = True
        answer.answer = f"{self.who_to_ask.texts['fallback_note']}\n\n{answer.answer}"
        return answer

    def _no_card(
        self, request: AnswerRequest, found: Retrieval, decision: Decision | None
    ) -> Answer:
        """No certain card: the close ones as buttons, else who to ask. Never a stitched text."""
        if decision is not None and decision.choices:
            answer = self.cards.offer(decision)
            answer.retrieved = found.passages
            return answer
        return self.who_to_ask.no_answer(request, found.passages)
