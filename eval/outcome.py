"""What one case produced, plus the evidence the scorers search (stored text, logs, sources)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from wegwijs.domain import Answer, Chunk, Route

TOP_K = 5


@dataclass
class Outcome:
    answer: Answer
    redacted_question: str = ""
    stored_text: str = ""  # the stored exchange of this case (question and answer), if any
    log_text: str = ""  # every log record of the run, formatted
    error: str | None = None  # the exception text when the message path raised

    @property
    def route(self) -> Route:
        return self.answer.route

    @property
    def top_sources(self) -> list[tuple[str, str]]:
        """(doc id, law) of the top-5 retrieved passages, then of the citations (FAQ answers)."""
        seen: dict[str, str] = {}
        for hit in self.answer.retrieved[:TOP_K]:
            seen.setdefault(hit.chunk.doc_id, hit.chunk.law.value)
        for citation in self.answer.citations:
            seen.setdefault(citation.id, citation.law)
        return list(seen.items())


@dataclass(frozen=True)
class SourceTexts:
    """What the scorers check answers against, never the answer's own copy of a passage.

    `stored`: every point of the vector store after the run's ingest, by document or card id
    (the corpus as ingested); citations of documents and cards are checked against these.
    `texts` / `urls`: the corpus as loaded from disk (documents, card answers, provider listings;
    the citable links of each id, including the gemeenten's contacts as `gemeente:<role>`);
    listings are not in the vector store, so their citations are checked against these.
    """

    texts: Mapping[str, str] = field(default_factory=dict)
    urls: Mapping[str, frozenset[str]] = field(default_factory=dict)  # id -> its citable links
    stored: Mapping[str, tuple[Chunk, ...]] = field(default_factory=dict)

    @cached_property
    def normalised(self) -> dict[str, str]:
        """Every text in the form `normalise` gives (for finding where a sentence came from)."""
        from eval.scorers import normalise

        return {key: normalise(text) for key, text in self.texts.items()}


def stored_by_id(chunks: Iterable[Chunk]) -> dict[str, tuple[Chunk, ...]]:
    """Stored points grouped by document / card id, in document order."""
    grouped: dict[str, list[Chunk]] = {}
    for chunk in sorted(chunks, key=lambda c: (c.doc_id, c.position)):
        grouped.setdefault(chunk.doc_id, []).append(chunk)
    return {key: tuple(group) for key, group in grouped.items()}
