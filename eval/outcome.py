"""What one case produced, plus the evidence the scorers search (stored text, logs, sources)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from wegwijs.domain import Answer, Route, ScoredChunk

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
    """The text of every citable source: corpus documents and FAQ answers, by id."""

    texts: Mapping[str, str] = field(default_factory=dict)
    urls: Mapping[str, frozenset[str]] = field(default_factory=dict)  # id -> its citable links

    @cached_property
    def normalised(self) -> dict[str, str]:
        """Every text in the form `normalise` gives (for finding where a sentence came from)."""
        from eval.scorers import normalise

        return {key: normalise(text) for key, text in self.texts.items()}

    def text_for(self, doc_id: str, retrieved: list[ScoredChunk]) -> str:
        chunks = [h.chunk.text for h in retrieved if h.chunk.doc_id == doc_id]
        return "\n".join([self.texts.get(doc_id, ""), *chunks])
