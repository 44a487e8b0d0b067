"""The answer gates can fail: a run over the shipped corpus (ingested into the in-memory store,
as `wegwijs eval run` does) whose chat returns planted answers. Answers built honestly from the
stored passages and cards pass `citation_validity` and `faithfulness`; planted bad ones (a quote
not in the source, a changed number, a sentence from another document, a missing citation, a
link to the law text, an edited card) drop both gates below eval/thresholds.toml."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cached_property
from typing import Any

from assistant.base import chunk_citation
from assistant.strategies.card import card_citation
from eval.compare import Thresholds, compare, failed
from eval.dataset import Case, Expectation
from eval.outcome import SourceTexts
from eval.runner import run_suite, stored_points, summarise
from eval.scorers import default_scorers
from tests.embedding_cache import CachedEmbedder
from wegwijs.chat import ChatResult
from wegwijs.config import Settings
from wegwijs.container import Container
from wegwijs.domain import Answer, Chunk, Citation, Route, Strategy
from wegwijs.embedding import Embedder

GATES = ("citation_validity", "faithfulness")
PLAIN_SENTENCE = re.compile(
    r"(?:(?<=\n)|(?<=^)|(?<=\. ))([A-Z][a-z][^.\n*\[\]()|#:]{40,180}\.)(?= |\n|$)"
)


def sentences(chunk: Chunk) -> list[str]:
    return PLAIN_SENTENCE.findall(chunk.text)


def generated(text: str, citations: list[Citation]) -> Answer:
    return Answer(route=Route.answer, strategy=Strategy.generative, answer=text,
                  citations=citations)  # fmt: skip


class PlantedChat:
    """Answers each case id with a planted answer made from what the store holds."""

    def __init__(self, container: Container) -> None:
        docs = [c for c in stored_points(container) if c.kind == "doc" and sentences(c)]
        a, b = docs[0], next(c for c in docs if c.doc_id != docs[0].doc_id)
        numbered = next((c, s) for c in docs for s in sentences(c) if re.search(r"\b\d+\b", s))
        said, other = sentences(a)[0], sentences(b)[0]
        changed = re.sub(r"\b(\d+)\b", lambda m: str(int(m[1]) + 7), numbered[1], count=1)
        card = container.corpus.cards[0]
        cite = chunk_citation(a, said)
        self.answers: dict[str, Answer] = {
            "good-generated": generated(f"{said} [1]", [cite]),
            "good-number": generated(
                f"{numbered[1]} [1]", [chunk_citation(numbered[0], numbered[1])]
            ),
            "good-card": Answer(
                route=Route.answer,
                strategy=Strategy.card,
                answer=card.answer,
                citations=[card_citation(card)],
                card_id=card.id,
            ),
            "bad-quote": generated(
                f"{said} [1]", [chunk_citation(a, "Dit staat nergens in het corpus, verzonnen.")]
            ),
            "bad-number": generated(f"{changed} [1]", [chunk_citation(numbered[0], numbered[1])]),
            "bad-other-document": generated(f"{other} [1]", [cite]),
            "bad-missing-citation": generated(f"{said} [1]\n\n{other}", [cite]),
            "bad-law-link": generated(
                f"{said} [1]",
                [
                    Citation(
                        a.doc_id,
                        a.title,
                        "https://wetten.overheid.nl/BWBR0035362",
                        a.law.value,
                        cite.heading,
                        said,
                    )
                ],
            ),
            "bad-card": Answer(
                route=Route.answer,
                strategy=Strategy.card,
                answer=card.answer.replace(".", ", maar alleen in Breda.", 1),
                citations=[card_citation(card)],
                card_id=card.id,
            ),
        }

    async def handle(self, text: str, postcode4: str | None = None) -> ChatResult:
        return ChatResult(self.answers[text], text, postcode4, "")


def planted_factory(embedder: CachedEmbedder) -> Callable[[Settings], Container]:
    class Planted(Container):
        @cached_property
        def embedder(self) -> Embedder:  # the shared, disk-cached e5 vectors
            return embedder

        @cached_property
        def chat(self) -> Any:  # the message path is replaced; the store and corpus are real
            return PlantedChat(self)

    return Planted


def test_planted_bad_answers_fail_the_citation_and_faithfulness_gates(
    embedder: CachedEmbedder,
) -> None:
    ids = [
        "good-generated", "good-number", "good-card", "bad-quote", "bad-number",
        "bad-other-document", "bad-missing-citation", "bad-law-link", "bad-card",
    ]  # fmt: skip
    cases = [Case(i, i, Expectation(route=Route.answer)) for i in ids]
    [run] = run_suite(cases, factory=planted_factory(embedder))
    by_id = {r.case.id: r for r in run.results}
    scorers = default_scorers(SourceTexts())

    good = [by_id[i] for i in ids if i.startswith("good")]
    for result in good:
        assert all(result.scores[g].value == 1.0 for g in GATES if g in result.scores), (
            result.case.id, result.failures,
        )  # fmt: skip
    good_summary = summarise(good, scorers)
    assert good_summary["citation_validity"] == 1.0 and good_summary["faithfulness"] == 1.0
    thresholds = Thresholds.load()
    assert not {
        r.metric.key for r in failed(compare(good_summary, good_summary, thresholds))
    } & set(GATES)

    for case_id, gate in [
        ("bad-quote", "citation_validity"),
        ("bad-law-link", "citation_validity"),
        ("bad-card", "citation_validity"),
        ("bad-number", "faithfulness"),
        ("bad-other-document", "faithfulness"),
        ("bad-missing-citation", "faithfulness"),
    ]:
        assert by_id[case_id].scores[gate].value < 1.0, (case_id, by_id[case_id].scores)
    bad_summary = summarise([r for r in run.results if r.case.id.startswith("bad")], scorers)
    gated = {r.metric.key for r in failed(compare(good_summary, bad_summary, thresholds))}
    assert set(GATES) <= gated, bad_summary
