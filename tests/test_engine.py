"""The engine's order: a chosen card, local providers, answer cards, generative (if any) with
fallback, "Bedoel je...?" choices, none."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from assistant.base import AnswerRequest
from assistant.engine import AnswerEngine, AnswerEvent, FinalAnswer, TextDelta
from assistant.matching import Decision
from assistant.strategies.card import CardStrategy
from wegwijs.container import Container
from wegwijs.domain import Answer, Citation, Route, ScoredChunk, Strategy


class LlmDown(Exception):
    """Stands in for the LLM client's error type (the container passes the real one)."""


class ScriptedGenerative:
    """A hand-written generative strategy: streams fixed deltas, or fails like a dead server."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.calls = 0

    def _answer(self, passages: list[ScoredChunk]) -> Answer:
        chunk = passages[0].chunk
        cite = Citation(chunk.doc_id, chunk.title, chunk.sources[0], chunk.law.value, "", "x")
        return Answer(Route.answer, Strategy.generative, "Dat regel je zo [1].", [cite])

    async def answer(self, request: AnswerRequest, passages: list[ScoredChunk]) -> Answer | None:
        self.calls += 1
        if self.fail:
            raise LlmDown("connection refused")
        return self._answer(passages)

    async def stream(
        self, request: AnswerRequest, passages: list[ScoredChunk]
    ) -> AsyncIterator[str]:
        self.calls += 1
        if self.fail:
            raise LlmDown("connection refused")
        for delta in ("Dat regel ", "je zo [1]."):
            yield delta

    def finish(self, text: str, passages: list[ScoredChunk]) -> Answer:
        answer = self._answer(passages)
        answer.answer = text
        return answer


class NeverSure(CardStrategy):
    """The shipped cards, but never certain of one: the path after the cards is taken."""

    def decide(self, request: AnswerRequest) -> Decision:
        return Decision(None, [], [])


def engine_with(
    container: Container, generative: ScriptedGenerative | None, sure: bool = True
) -> AnswerEngine:
    base = container.engine
    cards = (
        base.cards
        if sure
        else NeverSure(base.cards.matcher, base.cards.gemeenten, base.cards.texts)
    )
    return AnswerEngine(
        base.retriever,
        cards,
        base.who_to_ask,
        generative,
        base.providers,
        container.settings,
        llm_errors=(LlmDown,),
    )


def answer(engine: AnswerEngine, question: str, municipality: str | None = None) -> Answer:
    return asyncio.run(engine.answer(AnswerRequest(question, municipality=municipality)))


def events(engine: AnswerEngine, question: str) -> list[AnswerEvent]:
    async def collect() -> list[AnswerEvent]:
        return [event async for event in engine.stream(AnswerRequest(question))]

    return asyncio.run(collect())


def test_faq_question_gets_the_faq(shipped: Container) -> None:
    result = answer(shipped.engine, "Kan ik zorgverlof krijgen van mijn werk?")
    assert result.strategy is Strategy.faq and result.route is Route.answer
    assert result.latency_ms > 0 and result.card_id == "faq-zorgverlof"


def test_library_question_gets_its_card_verbatim_with_a_readable_source(shipped: Container) -> None:
    result = answer(shipped.engine, "Ik ben ineens mantelzorger en weet niet waar ik moet beginnen")
    assert result.strategy in (Strategy.card, Strategy.faq) and result.card_id
    card = shipped.corpus.card(result.card_id)
    assert card is not None and result.answer.startswith(card.answer)
    assert result.citations and "wetten.overheid.nl" not in result.citations[0].url


def test_guided_start_offers_situation_buttons(shipped: Container) -> None:
    result = answer(shipped.engine, "Ik weet niet waar ik moet beginnen. Waar begin ik?")
    assert result.card_id == "start-waar-begin-ik"
    labels = [choice.label for choice in result.choices]
    assert "Beginnende dementie" in labels and "Na het ziekenhuis" in labels


def test_a_chosen_button_opens_that_card(shipped: Container) -> None:
    request = AnswerRequest("Beginnende dementie", card_id="dementie-vermoeden-eerste-stap")
    result = asyncio.run(shipped.engine.answer(request))
    assert result.card_id == "dementie-vermoeden-eerste-stap"
    card = shipped.corpus.card("dementie-vermoeden-eerste-stap")
    assert card is not None and result.answer.startswith(card.answer)


def test_card_leading_to_the_gemeente_ends_with_its_contact_or_asks_the_place(
    shipped: Container,
) -> None:
    card = shipped.corpus.card("wmo-melding-loket-of-wijkteam")
    assert card is not None
    cards = shipped.engine.cards
    known = cards.show(card, AnswerRequest("x", municipality="Etten-Leur"))
    contacts = shipped.corpus.gemeenten["etten-leur"]
    loket = contacts.get("wmo_loket")
    assert loket is not None and loket.name in known.answer
    assert any(c.id == "gemeente:wmo_loket" for c in known.citations)
    unknown = cards.show(card, AnswerRequest("x"))
    assert "postcode" in unknown.answer and any(c.id == "ask:place" for c in unknown.choices)


def test_vague_question_gets_choices_never_a_stitched_text(shipped: Container) -> None:
    result = answer(shipped.engine, "hoe zit het met de regels")
    assert result.strategy is Strategy.none
    if result.choices:  # "Bedoel je...?"
        assert 2 <= len(result.choices) <= 4
        assert all(shipped.corpus.card(c.id) is not None for c in result.choices)
    assert not result.citations


def test_off_topic_gets_an_honest_no_answer(shipped: Container) -> None:
    result = answer(shipped.engine, "Hoe maak ik een appeltaart?", municipality="Breda")
    assert result.strategy is Strategy.none and result.low_confidence and not result.citations
    assert "Wmo-loket van Breda" in result.answer


def test_near_me_question_gets_providers(shipped: Container) -> None:
    result = answer(shipped.engine, "Is er een logeerhuis bij mij in de buurt?", "Oosterhout")
    assert result.strategy is Strategy.extractive
    assert result.citations and all(c.id.startswith("provider:") for c in result.citations)
    assert "Oosterhout" in result.answer and "(voorbeeld)" in result.answer


def test_stream_without_llm_sends_one_delta_then_the_answer(shipped: Container) -> None:
    got = events(shipped.engine, "Hoe vraag ik huishoudelijke hulp aan?")
    assert [type(e) for e in got] == [TextDelta, FinalAnswer]
    assert isinstance(got[0], TextDelta) and isinstance(got[1], FinalAnswer)
    assert got[0].text == got[1].answer.answer


def test_generative_streams_deltas_then_the_checked_answer(shipped: Container) -> None:
    generative = ScriptedGenerative()
    got = events(
        engine_with(shipped, generative, sure=False), "Wat gebeurt er als mijn eigen risico op is?"
    )
    deltas = [e.text for e in got if isinstance(e, TextDelta)]
    final = got[-1]
    assert deltas == ["Dat regel ", "je zo [1]."] and generative.calls == 1
    assert isinstance(final, FinalAnswer) and final.answer.strategy is Strategy.generative
    assert final.answer.retrieved and final.answer.latency_ms > 0


def test_faq_still_wins_over_generative(shipped: Container) -> None:
    generative = ScriptedGenerative()
    result = answer(engine_with(shipped, generative), "Wat doet de SVB bij een pgb?")
    assert result.strategy is Strategy.faq and generative.calls == 0


def test_llm_failure_falls_back_to_choices_or_who_to_ask(shipped: Container) -> None:
    engine = engine_with(shipped, ScriptedGenerative(fail=True), sure=False)
    question = "Wat gebeurt er als ik het eigen risico al heb opgemaakt?"
    result = answer(engine, question)
    assert result.strategy is Strategy.none and result.low_confidence
    assert engine.who_to_ask.texts["fallback_note"] in result.answer
    streamed = events(engine, question)
    final = streamed[-1]
    assert isinstance(final, FinalAnswer) and final.answer.strategy is Strategy.none
    assert isinstance(streamed[0], TextDelta) and streamed[0].text == final.answer.answer
