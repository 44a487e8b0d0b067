"""Extractive answers: whole sentences from the best passages, numbered sources, no-answer."""

from __future__ import annotations

import asyncio
import re

from assistant.base import AnswerRequest
from assistant.strategies.extractive import ExtractiveStrategy, load_texts, split_sentences
from wegwijs.container import Container
from wegwijs.domain import Answer, ScoredChunk, Strategy


def extractive(container: Container) -> ExtractiveStrategy:
    return container.engine.extractive


def run(
    container: Container, question: str, municipality: str | None = None
) -> tuple[Answer | None, list[ScoredChunk]]:
    request = AnswerRequest(question, municipality=municipality)
    passages = container.retriever.retrieve(question, municipality)
    return asyncio.run(extractive(container).answer(request, passages)), passages


def test_split_sentences_keeps_sentences_whole() -> None:
    text = "Je kunt bijv. de gemeente bellen. Dat kan ook online!\n\n- een rolstoel\n- een rollator"
    assert split_sentences(text) == [
        "Je kunt bijv. de gemeente bellen.",
        "Dat kan ook online!",
        "een rolstoel.",
        "een rollator.",
    ]


def test_answer_quotes_whole_sentences_with_sources(shipped: Container) -> None:
    answer, passages = run(shipped, "Wie betaalt wijkverpleging en heb ik een verwijzing nodig?")
    assert answer is not None and answer.strategy is Strategy.extractive
    texts = load_texts()
    assert answer.answer.startswith(texts["intro"])
    assert texts["read_more"] in answer.answer
    markers = sorted(set(re.findall(r"\[(\d+)\]", answer.answer.split(texts["read_more"])[0])))
    assert markers == [str(n) for n in range(1, len(answer.citations) + 1)]
    assert "zvw-wijkverpleging" in {c.id for c in answer.citations}
    chunk_texts = {p.chunk.doc_id: " ".join(p.chunk.text.split()) for p in passages}
    for citation in answer.citations:  # every quote is made of whole sentences of its source
        sentences = split_sentences(citation.quote)
        source = " ".join(
            s
            for p in passages
            if p.chunk.doc_id == citation.id
            for s in split_sentences(p.chunk.text)
        )
        assert all(s in source for s in sentences), citation.quote
        assert citation.url.startswith("https://")
        assert citation.id in chunk_texts


def test_answer_has_two_to_five_sentences(shipped: Container) -> None:
    answer, _ = run(shipped, "Hoe maak ik bezwaar tegen de beschikking van de gemeente?")
    assert answer is not None
    quoted = [s for c in answer.citations for s in split_sentences(c.quote)]
    assert 2 <= len(quoted) <= 5


def test_sources_list_title_heading_and_url(shipped: Container) -> None:
    answer, _ = run(shipped, "Hoe lang duurt kortdurend zorgverlof?")
    assert answer is not None
    read_more = answer.answer.split(load_texts()["read_more"])[1]
    for number, citation in enumerate(answer.citations, start=1):
        assert f"[{number}] {citation.title}" in read_more
        assert citation.url in read_more


def test_closing_points_to_the_right_helper(shipped: Container) -> None:
    answer, _ = run(shipped, "Hoe vraag ik huishoudelijke hulp aan?", municipality="Breda")
    assert answer is not None and "Wmo-loket van Breda" in answer.answer


def test_no_answer_points_to_people(shipped: Container) -> None:
    request = AnswerRequest("Wat is de hoofdstad van Frankrijk?", municipality="Tilburg")
    answer = extractive(shipped).no_answer(request, [])
    assert answer.strategy is Strategy.none and answer.low_confidence
    assert "Wmo-loket van Tilburg" in answer.answer and "huisarts" in answer.answer
    assert not answer.citations


def test_no_answer_names_the_organisation_contact(shipped: Container) -> None:
    strategy = extractive(shipped)
    organisation = strategy.organisation.model_copy(
        update={"name": "Steunpunt Voorbeeld", "contact_phone": "076-0000000"}
    )
    other = ExtractiveStrategy(
        strategy.retriever, strategy.embedder, strategy.sparse, organisation, strategy.texts
    )
    answer = other.no_answer(AnswerRequest("iets onbekends"), [])
    assert "Steunpunt Voorbeeld: 076-0000000" in answer.answer
