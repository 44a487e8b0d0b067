"""Cut a message into the pieces the classifier scores: sentences, windows, the whole text.

A cue buried in a long message must weigh as much as the same sentence alone, so every
sentence is scored on its own and inside windows of two and three sentences (the windows
carry the context that turns "ik wil dood" into a past or quoted statement, or the reverse).
Very long run-on "sentences" (voice typing, no punctuation) are cut into overlapping word
windows so a cue at the end is not lost to the encoder's token limit.

The encoder's cost grows with the words it reads, so a message is read within a word budget:
a short message completely (every sentence, every window); a long one sentence by sentence in
the order of the n-gram view's risk scores, each chosen sentence with the windows around it,
until the budget is spent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from guardrails.text import sentences

MAX_SENTENCE_WORDS = 28  # longer pieces are cut into word windows of this size
WORD_STRIDE = 14  # half-overlapping word windows
WORD_BUDGET = 110  # words the encoder reads per message (about 50 ms on 2 cores, int8)
_SPACES = re.compile(r"[ \t\r\f\v]+")


@dataclass(frozen=True)
class Segments:
    """The texts to embed and, per text, which units (sentences) it spans."""

    texts: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]  # [first unit, last unit] per text, inclusive
    units: int  # number of sentence units


def units(text: str) -> list[str]:
    """Sentences of the raw text (case kept), long run-ons cut into word windows."""
    flat = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    out: list[str] = []
    for sentence in sentences(flat):
        words = sentence.split(" ")
        if len(words) <= MAX_SENTENCE_WORDS:
            out.append(sentence)
            continue
        for start in range(0, len(words) - WORD_STRIDE, WORD_STRIDE):
            out.append(" ".join(words[start : start + MAX_SENTENCE_WORDS]))
    return out or [flat.strip()]


def _words(text: str) -> int:
    return text.count(" ") + 1


def _windows_around(index: int, count: int) -> list[tuple[int, int]]:
    """The windows of two and three units centred on unit `index`."""
    spans = [(index - 1, index), (index, index + 1), (index - 1, index + 1)]
    return [(a, b) for a, b in spans if a >= 0 and b < count]


def segment(
    text: str, priority: Sequence[float] | None = None, budget: int = WORD_BUDGET
) -> Segments:
    return segment_units(units(text), priority, budget)


def segment_units(
    parts: Sequence[str], priority: Sequence[float] | None = None, budget: int = WORD_BUDGET
) -> Segments:
    """Sentences in `priority` order (highest first; default: text order), each followed by
    the windows around it, while the word budget lasts (the first sentence always). A short
    message is read completely; the whole message is scored apart (guardrails/classifier)."""
    texts: list[str] = []
    spans: list[tuple[int, int]] = []
    seen: dict[str, int] = {}
    spent = 0

    def add(first: int, last: int, force: bool = False) -> bool:
        nonlocal spent
        piece = " ".join(parts[first : last + 1])
        if piece in seen:
            return True
        cost = _words(piece)
        if spent + cost > budget and not force:
            return False
        spent += cost
        seen[piece] = len(texts)
        texts.append(piece)
        spans.append((first, last))
        return True

    order = sorted(range(len(parts)), key=lambda i: -priority[i]) if priority else range(len(parts))
    for rank, index in enumerate(order):
        if not add(index, index, force=rank == 0):
            break
        for first, last in _windows_around(index, len(parts)):
            add(first, last)
    return Segments(tuple(texts), tuple(spans), len(parts))
