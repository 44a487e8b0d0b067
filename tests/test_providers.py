"""Local providers by structured filter: the lexicon, the place, the listing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from assistant.base import AnswerRequest
from assistant.providers import ProviderDirectory, ServiceLexicon, display_name
from assistant.strategies.local import LocalProvidersStrategy
from assistant.strategies.no_answer import load_texts
from ingest.corpus import load_corpus
from wegwijs.domain import SERVICE_TYPES, Provider, Strategy

FIXED_CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


@pytest.fixture(scope="module")
def directory() -> ProviderDirectory:
    corpus = load_corpus(FIXED_CORPUS)
    return ProviderDirectory(corpus.providers, corpus.pc4)


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("Welke dagbesteding is er in Breda?", "dagbesteding"),
        ("Is er een logeerhuis bij mij in de buurt?", "logeeropvang"),
        ("Ik wil even vrij, wie neemt de zorg over?", "respijtzorg"),
        ("Ik zoek een poetshulp voor mijn moeder", "huishoudelijke-hulp"),
        ("waar kan ik een rollator lenen", "hulpmiddelen"),
        ("Zijn er praatgroepen voor mantelzorgers?", "lotgenotencontact"),
        ("Ik zoek een casemanager dementie", "casemanagement"),
        ("Hoe vind ik een mantelzorgmakelaar?", "mantelzorgmakelaar"),
        ("Is er een wijkverpleegkundige in de buurt?", "wijkverpleging"),
        ("Wie biedt onafhankelijke cliëntondersteuning?", "cliëntondersteuning"),
        ("Hoe werkt de regiotaxi?", "vervoer"),
        ("Mijn zoon wil in een woongroep wonen", "begeleid-wonen"),
    ],
)
def test_lexicon_maps_everyday_words(text: str, service: str) -> None:
    assert ServiceLexicon.load().service_in(text) == service


@pytest.mark.parametrize(
    "text",
    ["Wat is de Wmo?", "Hoe maak ik bezwaar?", "Kan ik zorgverlof krijgen?", "huisbaas belt niet"],
)
def test_lexicon_finds_no_service_where_there_is_none(text: str) -> None:
    assert ServiceLexicon.load().service_in(text) is None


def test_lexicon_only_uses_known_services() -> None:
    assert {service for _, service in ServiceLexicon.load().phrases} == set(SERVICE_TYPES)


@pytest.mark.parametrize(
    ("place", "gemeente"),
    [
        ("4811AB", "Breda"),
        ("4811 ab", "Breda"),
        ("5038", "Tilburg"),
        ("Tilburg", "Tilburg"),
        ("in bergen op zoom", "Bergen op Zoom"),
        ("9999ZZ", None),
        ("Amsterdam", None),
    ],
)
def test_gemeente_for_postcode_or_town(
    directory: ProviderDirectory, place: str, gemeente: str | None
) -> None:
    assert directory.gemeente_for(place) == gemeente


def test_find_filters_by_service_and_gemeente(directory: ProviderDirectory) -> None:
    found = directory.find("logeeropvang", "Tilburg")
    assert found and all("logeeropvang" in p.services for p in found)
    assert all(p.municipalities == ("Tilburg",) for p in found)


def test_find_uses_the_postcode_range(directory: ProviderDirectory) -> None:
    north = {p.name for p in directory.find("wijkverpleging", "Breda", pc4=4811)}
    south = {p.name for p in directory.find("wijkverpleging", "Breda", pc4=4835)}
    assert any("Wijkteam 1" in name for name in north)
    assert not any("Wijkteam 2" in name for name in north)
    assert any("Wijkteam 2" in name for name in south)


def test_example_marker_is_added_once() -> None:
    plain = Provider("Thuiszorg Zuid", ("thuiszorg",), ("Breda",), (), "", "", True)
    marked = Provider("Huis (voorbeeld)", ("thuiszorg",), ("Breda",), (), "", "", True)
    real = Provider("Thuiszorg Noord", ("thuiszorg",), ("Breda",), (), "", "", False)
    assert display_name(plain) == "Thuiszorg Zuid (voorbeeld)"
    assert display_name(marked) == "Huis (voorbeeld)"
    assert display_name(real) == "Thuiszorg Noord"


@pytest.mark.parametrize(
    ("question", "municipality", "local"),
    [
        ("Welke dagbesteding is er bij mij in de buurt?", "Breda", True),
        ("Is er een logeerhuis in Tilburg?", None, True),
        ("Wat is dagbesteding?", "Breda", False),  # a service word but no place cue
        ("Hoe vraag ik hulp aan bij de gemeente?", "Breda", False),
    ],
)
def test_local_question_detection(
    directory: ProviderDirectory, question: str, municipality: str | None, local: bool
) -> None:
    assert (directory.local_question(question, municipality) is not None) is local


def test_named_town_wins_over_the_postcode(directory: ProviderDirectory) -> None:
    found = directory.local_question("Is er een logeerhuis in Tilburg?", "Breda", "4811")
    assert found is not None and found.gemeente == "Tilburg" and found.pc4 is None


def test_provider_answer_lists_examples_with_marker(directory: ProviderDirectory) -> None:
    strategy = LocalProvidersStrategy(directory, load_texts())
    request = AnswerRequest("Welke dagbesteding is er bij mij in de buurt?", "Breda", "4811")
    answer = asyncio.run(strategy.answer(request, []))
    assert answer is not None and answer.strategy is Strategy.extractive
    assert "dagbesteding in Breda" in answer.answer
    assert "(voorbeeld)" in answer.answer and "Let op: dit zijn voorbeelden" in answer.answer
    assert answer.citations and all(c.id.startswith("provider:") for c in answer.citations)
    assert "Tilburg" not in answer.answer


def test_provider_answer_asks_for_the_place(directory: ProviderDirectory) -> None:
    strategy = LocalProvidersStrategy(directory, load_texts())
    answer = asyncio.run(strategy.answer(AnswerRequest("Is er een logeerhuis in de buurt?"), []))
    assert answer is not None and answer.strategy is Strategy.none
    assert "postcode" in answer.answer and not answer.citations
