"""The small interfaces every answer strategy shares. The engine only ever sees redacted text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from wegwijs.domain import Answer, Chunk, Citation, ScoredChunk


@dataclass(frozen=True)
class Turn:
    role: str  # "user" | "assistant"
    text: str  # redacted


@dataclass(frozen=True)
class AnswerRequest:
    question: str  # redacted text only
    municipality: str | None = None  # gemeente from the postcode or the town the user named
    postcode4: str | None = None
    history: tuple[Turn, ...] = ()
    card_id: str | None = None  # a card the user chose with a button ("Bedoel je...?")


@dataclass
class CheckedAnswer:
    """A generated answer after the citation check."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    low_confidence: bool = False
    removed_citations: int = 0


class Strategy(Protocol):
    """One way to answer. Returns None when it has no answer (the engine tries the next)."""

    async def answer(
        self, request: AnswerRequest, passages: list[ScoredChunk]
    ) -> Answer | None: ...


def chunk_citation(chunk: Chunk, quote: str) -> Citation:
    """The source of a passage as the widget and the CLI show it: its document's readable page
    first (as for cards), else its first source."""
    return Citation(
        id=chunk.doc_id,
        title=chunk.title,
        url=chunk.read_more or (chunk.sources[0] if chunk.sources else ""),
        law=chunk.law.value,
        heading=" > ".join(chunk.heading_path),
        quote=quote,
    )
