"""FAQ first: approved answers verbatim for the FAQ's phrasings and close paraphrases only."""

from __future__ import annotations

import asyncio

import pytest

from assistant.base import AnswerRequest
from wegwijs.container import Container
from wegwijs.domain import Answer, Strategy

PARAPHRASES = [
    ("Hoe vraag ik Wmo-hulp aan?", "faq-wmo-hulp-aanvragen"),
    ("Hoe kom ik aan een scootmobiel voor mijn moeder?", "faq-scootmobiel-rolstoel"),
    ("Wat is het verschil tussen pgb en zin?", "faq-pgb-of-zorg-in-natura"),
    ("Heb ik recht op zorgverlof van mijn werkgever?", "faq-zorgverlof"),
    ("Wat is respijtzorg?", "faq-respijtzorg"),
    ("Hoe krijg ik een indicatie van het CIZ?", "faq-wlz-indicatie-ciz"),
]

NEAR_MISSES = [
    "Hoe hoog is het eigen risico van de zorgverzekering?",
    "Hoe vraag ik dubbele kinderbijslag aan?",
    "Hoe hoog is de eigen bijdrage in de Wlz?",
    "Wat staat er in een beschikking?",
    "Kan ik mijn woning laten aanpassen via de gemeente?",
    "Hoe regel ik een volmacht voor de bank van mijn moeder?",
    "Welke hulplijnen kan ik 's nachts bellen?",
    "Wat doet het zorgkantoor?",
]


def ask(container: Container, question: str) -> Answer | None:
    return asyncio.run(container.faq_strategy.answer(AnswerRequest(question), []))


def test_every_faq_phrasing_gets_its_own_answer_verbatim(shipped: Container) -> None:
    for entry in shipped.corpus.faq:
        for phrasing in (entry.question, *entry.variants):
            answer = ask(shipped, phrasing)
            assert answer is not None, phrasing
            assert answer.strategy is Strategy.faq
            assert answer.answer == entry.answer  # verbatim, from the corpus file
            assert [c.url for c in answer.citations] == list(entry.sources)


@pytest.mark.parametrize(("question", "faq_id"), PARAPHRASES)
def test_paraphrases_match(shipped: Container, question: str, faq_id: str) -> None:
    answer = ask(shipped, question)
    entry = next(e for e in shipped.corpus.faq if e.id == faq_id)
    assert answer is not None and answer.answer == entry.answer
    assert {c.id for c in answer.citations} == {faq_id}


@pytest.mark.parametrize("question", NEAR_MISSES)
def test_near_misses_do_not_match(shipped: Container, question: str) -> None:
    assert ask(shipped, question) is None


def test_threshold_is_the_setting(shipped: Container) -> None:
    assert shipped.faq_strategy.threshold == shipped.settings.retrieval.faq_threshold
    best = shipped.faq_strategy.best("Wat doet het zorgkantoor?")
    assert best is not None and best.score < shipped.faq_strategy.threshold
