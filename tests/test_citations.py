"""Table tests of the citation check: which [n] survive, how they are renumbered, what is quoted."""

from __future__ import annotations

import dataclasses

import pytest

from assistant.citations import CitationCheck
from wegwijs.domain import Chunk, Law, ScoredChunk

WMO_LOKET = (
    "Je vraagt hulp aan bij het Wmo-loket van je gemeente. "
    "De gemeente gaat daarna met je in gesprek. Dat heet het keukentafelgesprek."
)
EIGEN_BIJDRAGE = (
    "Voor hulp uit de Wmo betaal je een eigen bijdrage. "
    "De eigen bijdrage is maximaal 21,80 euro per maand. Het CAK int de eigen bijdrage."
)
ZORGVERLOF = (
    "Werk je en zorg je voor een naaste? Dan kun je kortdurend zorgverlof opnemen. "
    "Je krijgt dan 70 procent van je loon."
)


def passage(doc_id: str, text: str, law: Law = Law.wmo) -> ScoredChunk:
    chunk = Chunk(
        id=f"chunk-{doc_id}",
        doc_id=doc_id,
        title=doc_id.replace("-", " ").capitalize(),
        law=law,
        sources=(f"https://example.org/{doc_id}", "https://example.org/second"),
        heading_path=("Wmo", doc_id),
        text=text,
    )
    return ScoredChunk(chunk, 0.9)


PASSAGES = [
    passage("wmo-loket", WMO_LOKET),
    passage("eigen-bijdrage", EIGEN_BIJDRAGE),
    passage("zorgverlof", ZORGVERLOF, Law.werk),
]

# (case, answer text, expected text, expected cited doc ids, low_confidence, removed)
CASES = [
    (
        "valid citation kept",
        "Je vraagt hulp aan bij het Wmo-loket van je gemeente [1].",
        "Je vraagt hulp aan bij het Wmo-loket van je gemeente [1].",
        ["wmo-loket"],
        False,
        0,
    ),
    (
        "marker after the full stop stays with its sentence",
        "De eigen bijdrage is maximaal 21,80 euro per maand. [2] Het CAK int die bijdrage. [2]",
        "De eigen bijdrage is maximaal 21,80 euro per maand. [1] Het CAK int die bijdrage. [1]",
        ["eigen-bijdrage"],
        False,
        0,
    ),
    (
        "out-of-range citation removed and flagged",
        "Je vraagt hulp aan bij het Wmo-loket van je gemeente [1]. Bel ook het loket [7].",
        "Je vraagt hulp aan bij het Wmo-loket van je gemeente [1]. Bel ook het loket.",
        ["wmo-loket"],
        True,
        1,
    ),
    (
        "unsupported sentence loses its citation",
        "Het CAK int de eigen bijdrage [2]. Een rolstoel krijg je gratis van de apotheek [2].",
        "Het CAK int de eigen bijdrage [1]. Een rolstoel krijg je gratis van de apotheek.",
        ["eigen-bijdrage"],
        True,
        1,
    ),
    (
        "citation to the wrong passage removed",
        "Het CAK int de eigen bijdrage [3].",
        "Het CAK int de eigen bijdrage.",
        [],
        True,
        1,
    ),
    (
        "renumbered in order of first use",
        "Je krijgt 70 procent van je loon bij zorgverlof [3]. "
        "Het CAK int de eigen bijdrage [2]. Zorgverlof kun je kortdurend opnemen [3].",
        "Je krijgt 70 procent van je loon bij zorgverlof [1]. "
        "Het CAK int de eigen bijdrage [2]. Zorgverlof kun je kortdurend opnemen [1].",
        ["zorgverlof", "eigen-bijdrage"],
        False,
        0,
    ),
    (
        "number missing from the passage makes the claim unsupported",
        "De eigen bijdrage is maximaal 50 euro per maand [2].",
        "De eigen bijdrage is maximaal 50 euro per maand.",
        [],
        True,
        1,
    ),
    (
        "several cited passages support one sentence together",
        "Na het keukentafelgesprek met de gemeente int het CAK een eigen bijdrage [1, 2].",
        "Na het keukentafelgesprek met de gemeente int het CAK een eigen bijdrage [1][2].",
        ["wmo-loket", "eigen-bijdrage"],
        False,
        0,
    ),
    (
        "passages that each support part of a sentence keep it together",
        "Na het keukentafelgesprek met de gemeente int het CAK de bijdrage voor een rolstoel "
        "of vervoer [1][2].",
        "Na het keukentafelgesprek met de gemeente int het CAK de bijdrage voor een rolstoel "
        "of vervoer [1][2].",
        ["wmo-loket", "eigen-bijdrage"],
        False,
        0,
    ),
    (
        "one of those passages alone does not",
        "Na het keukentafelgesprek met de gemeente int het CAK de bijdrage voor een rolstoel "
        "of vervoer [2].",
        "Na het keukentafelgesprek met de gemeente int het CAK de bijdrage voor een rolstoel "
        "of vervoer.",
        [],
        True,
        1,
    ),
    (
        "a second passage that adds nothing is dropped",
        "Je vraagt hulp aan bij het Wmo-loket van je gemeente [1][2].",
        "Je vraagt hulp aan bij het Wmo-loket van je gemeente [1].",
        ["wmo-loket"],
        True,
        1,
    ),
    (
        "no citation at all is low confidence",
        "Ik weet het niet zeker. Vraag het aan het Wmo-loket van je gemeente.",
        "Ik weet het niet zeker. Vraag het aan het Wmo-loket van je gemeente.",
        [],
        True,
        0,
    ),
    (
        "line structure of a list is kept",
        "Zo doe je het:\n- Ga naar het Wmo-loket van je gemeente [1]\n- Voer het gesprek [1]",
        "Zo doe je het:\n- Ga naar het Wmo-loket van je gemeente [1]\n- Voer het gesprek [1]",
        ["wmo-loket"],
        False,
        0,
    ),
    (
        "a bare marker without a claim is removed",
        "Zie [2].",
        "Zie.",
        [],
        True,
        1,
    ),
]


@pytest.mark.parametrize(
    ("text", "expected", "cited", "low_confidence", "removed"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_citation_check(
    text: str, expected: str, cited: list[str], low_confidence: bool, removed: int
) -> None:
    result = CitationCheck().check(text, PASSAGES)
    assert result.text == expected
    assert [c.id for c in result.citations] == cited
    assert result.low_confidence is low_confidence
    assert result.removed_citations == removed


def test_citation_carries_the_source_and_a_quote_from_the_passage() -> None:
    result = CitationCheck().check(
        "Na de aanvraag volgt een keukentafelgesprek met de gemeente [1].", PASSAGES
    )
    [citation] = result.citations
    assert citation.id == "wmo-loket"
    assert citation.title == "Wmo loket"
    assert citation.url == "https://example.org/wmo-loket"  # the first source URL
    assert citation.law == "wmo"
    assert citation.heading == "Wmo > wmo-loket"
    assert citation.quote == "Dat heet het keukentafelgesprek."
    assert citation.quote in WMO_LOKET


def test_a_citation_links_to_the_documents_readable_page_when_it_has_one() -> None:
    readable = ScoredChunk(
        dataclasses.replace(PASSAGES[0].chunk, read_more="https://www.regelhulp.nl/wmo"), 0.9
    )
    result = CitationCheck().check(
        "Na de aanvraag volgt een keukentafelgesprek met de gemeente [1].", [readable]
    )
    assert [c.url for c in result.citations] == ["https://www.regelhulp.nl/wmo"]


def test_quote_is_the_best_supporting_sentence() -> None:
    result = CitationCheck().check(
        "De eigen bijdrage is hooguit 21,80 euro per maand [1].", [PASSAGES[1]]
    )
    assert result.citations[0].quote == "De eigen bijdrage is maximaal 21,80 euro per maand."


def test_without_passages_every_citation_goes() -> None:
    result = CitationCheck().check("Je vraagt hulp aan bij het Wmo-loket [1].", [])
    assert result.text == "Je vraagt hulp aan bij het Wmo-loket."
    assert result.citations == []
    assert result.low_confidence


@pytest.mark.parametrize(
    ("min_support", "kept"),
    [(0.5, True), (0.95, False)],
)
def test_support_threshold_is_configurable(min_support: float, kept: bool) -> None:
    text = "Je vraagt hulp bij het Wmo-loket, ook voor vervoer [1]."
    result = CitationCheck(min_support=min_support).check(text, PASSAGES)
    assert bool(result.citations) is kept
    assert result.low_confidence is not kept
