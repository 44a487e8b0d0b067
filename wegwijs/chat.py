"""One message, end to end: guardrails first, then the answer engine, then the output check.

The raw text is seen only by `Guardrails.inspect`; from there on only the redacted text flows
to the engine, the LLM prompt, the conversation store and the logs.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.base import AnswerRequest, Turn
from wegwijs.contacts import LAST_RESORT_CONTACTS, LAST_RESORT_TEXT
from wegwijs.conversations import ConversationStore, Exchange
from wegwijs.domain import Answer, Route, Strategy, Verdict

if TYPE_CHECKING:
    from assistant.engine import AnswerEngine
    from guardrails.inspector import Guardrails

log = logging.getLogger("wegwijs.chat")
BOUNDARY = re.compile(r"[.!?]\s|\n")  # streamed text is checked one sentence at a time
# A normal question the engine could not answer (a fault, not a missing answer).
ENGINE_FAULT_TEXT = (
    "Het lukt me nu niet om je vraag te beantwoorden: er ging bij mij iets mis. "
    "Probeer het over een paar minuten opnieuw. Wil je het vandaag nog regelen? "
    "Bel dan het Wmo-loket van je gemeente of je zorgverzekeraar."
)


def last_resort_answer() -> Answer:
    """When the guardrails themselves fail: a fixed text with the national crisis lines."""
    return Answer(
        route=Route.answer,
        strategy=Strategy.none,
        answer=LAST_RESORT_TEXT,
        contacts=list(LAST_RESORT_CONTACTS),
        low_confidence=True,
    )


def engine_fault_answer() -> Answer:
    return Answer(
        route=Route.answer, strategy=Strategy.none, answer=ENGINE_FAULT_TEXT, low_confidence=True
    )


def source_text(answer: Answer) -> str:
    """The curated corpus text an answer may quote verbatim: passages, quotes, titles, and the
    answer card itself."""
    parts = [hit.chunk.text for hit in answer.retrieved]
    parts += [f"{c.title}\n{c.heading}\n{c.quote}" for c in answer.citations]
    if answer.strategy in (Strategy.faq, Strategy.card):
        parts.append(answer.answer)
    return "\n".join(parts)


@dataclass
class ChatResult:
    answer: Answer
    redacted_question: str
    postcode4: str | None
    exchange_id: str


class ChatService:
    def __init__(
        self,
        guardrails: Guardrails | Callable[[], Guardrails],
        engine: Callable[[], AnswerEngine],
        store: Callable[[], ConversationStore],
        municipality_for: Callable[[str | None, str], str | None],
    ) -> None:
        # All resolved lazily: a crisis reply needs neither engine nor store, and a guardrails
        # build that fails gives the last-resort reply instead of no reply.
        self._guardrails = guardrails if callable(guardrails) else (lambda: guardrails)
        self._engine = engine
        self._store = store
        self.municipality_for = municipality_for

    @property
    def guardrails(self) -> Guardrails:
        return self._guardrails()

    async def handle(
        self,
        text: str,
        postcode4: str | None = None,
        history: tuple[Turn, ...] = (),
        conversation_id: str = "",
        card_id: str | None = None,
    ) -> ChatResult:
        result = None
        async for event in self.stream(text, postcode4, history, conversation_id, card_id):
            if isinstance(event, ChatResult):
                result = event
        assert result is not None
        return result

    async def stream(
        self,
        text: str,
        postcode4: str | None = None,
        history: tuple[Turn, ...] = (),
        conversation_id: str = "",
        card_id: str | None = None,
    ) -> AsyncIterator[str | ChatResult]:
        """Checked text as it is produced (sentence by sentence), then the ChatResult.
        `card_id`: a card the user chose with a button; `text` is then the card's question (or
        the place the user typed when asked for it), and still passes the guardrails."""
        started = time.perf_counter()
        try:  # blocking work (encoder, PII engine, SQL) runs in threads, never on the event loop
            guardrails = self.guardrails
            verdict = await asyncio.to_thread(guardrails.inspect, text)
            concern = guardrails.concern(verdict)
            answer = guardrails.reply(verdict)
        except Exception as exc:  # noqa: BLE001 - no traceback: it could hold the raw text
            log.error("guardrails failed (%s); last-resort reply", type(exc).__name__)
            fallback = last_resort_answer()
            yield fallback.answer
            yield ChatResult(fallback, "", postcode4, "")
            return
        postcode4 = verdict.postcode4 or postcode4
        if concern is not None:
            yield concern[0] + "\n\n"  # the human contacts come first, also while streaming
        if answer is None:
            try:
                async for piece in self._answer(verdict, postcode4, history, card_id):
                    if isinstance(piece, Answer):
                        answer = piece
                    else:
                        yield piece
            except Exception:  # the text here is redacted; a fault must not silence the chat
                log.exception("answer engine failed; fault text instead")
                answer = engine_fault_answer()
                yield answer.answer
        assert answer is not None
        if answer.route is Route.answer:
            try:
                checked = await asyncio.to_thread(
                    guardrails.check_output,
                    answer.answer,
                    [c.url for c in answer.citations],
                    source_text(answer),
                )
                answer.answer = checked.text
            except Exception:  # fail closed: an unchecked text is never shown
                log.exception("output check failed; fault text instead")
                answer = engine_fault_answer()
        if concern is not None:
            answer.answer = concern[0] + "\n\n" + answer.answer
            answer.concern_text = concern[0]
            answer.contacts = concern[1] + [c for c in answer.contacts if c not in concern[1]]
            answer.concern = True
        answer.latency_ms = (time.perf_counter() - started) * 1000
        exchange_id = await asyncio.to_thread(
            self._record, conversation_id, verdict.redacted_text, answer
        )
        yield ChatResult(answer, verdict.redacted_text, postcode4, exchange_id)

    async def _answer(
        self,
        verdict: Verdict,
        postcode4: str | None,
        history: tuple[Turn, ...],
        card_id: str | None,
    ) -> AsyncIterator[str | Answer]:
        """The engine's answer for a message that passed the guardrails: checked sentences as
        they come, then the Answer."""
        from assistant.engine import FinalAnswer, TextDelta

        request = AnswerRequest(
            question=verdict.redacted_text,
            municipality=self.municipality_for(postcode4, verdict.redacted_text),
            postcode4=postcode4,
            history=history,
            card_id=card_id,
        )
        pending = ""
        async for event in self._engine().stream(request):
            if isinstance(event, TextDelta):
                pending += event.text
                ends = [m.end() for m in BOUNDARY.finditer(pending)]
                if ends:
                    ready, pending = pending[: ends[-1]], pending[ends[-1] :]
                    yield await asyncio.to_thread(self._checked, ready)
            elif isinstance(event, FinalAnswer):
                yield event.answer
        if pending:
            yield await asyncio.to_thread(self._checked, pending)

    def _checked(self, sentence: str) -> str:
        """Streamed generated text: checked strictly (no corpus text to compare with yet)."""
        return self.guardrails.check_output(sentence).text

    def _record(self, conversation_id: str, question: str, answer: Answer) -> str:
        exchange = Exchange(
            conversation_id=conversation_id or uuid.uuid4().hex,
            question=question,
            answer=answer.answer,
            route=answer.route.value,
            strategy=answer.strategy.value,
            crisis_kind=answer.crisis_kind.value if answer.crisis_kind else None,
            low_confidence=answer.low_confidence,
            latency_ms=answer.latency_ms,
            citations=",".join(c.id for c in answer.citations),
        )
        log.info(
            "message route=%s strategy=%s crisis_kind=%s latency_ms=%.0f",
            exchange.route,
            exchange.strategy,
            exchange.crisis_kind,
            exchange.latency_ms,
        )
        try:
            self._store().record(exchange)
        except Exception:  # a database outage must not cost the user an answer
            log.exception("conversation store unavailable; exchange not stored")
        return exchange.id
