"""Check the numbered citations of a generated answer against the passages it was given.

Rules:
- every `[n]` must point at a passage the model saw (1..len(passages)); others are removed;
- a sentence that carries `[n]` must be supported by passage n: the share of the sentence's
  content-word stems (Dutch Snowball stems, stop words left out) that also occur in the passage
  (text, title and heading) must reach `min_support`. With several citations on one sentence,
  a weaker passage (at least `min_partial`) is kept when it adds words the others do not cover,
  and weaker passages alone may together support the sentence when their union reaches
  `min_support`. Every number of two or more digits in the sentence (amounts, ages, phone
  numbers) must occur in a kept passage;
- unsupported citations are removed; any removal, or an answer without one valid citation,
  makes the answer low-confidence;
- the kept citations are renumbered [1], [2], ... in order of first use, and the result lists
  those sources with the passage sentence that best supports what was said (the quote).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.base import CheckedAnswer, chunk_citation
from wegwijs.domain import Citation, ScoredChunk
from wegwijs.sparse import DutchSparseEncoder
from wegwijs.text import CITATION_MARKER, MARKER_BODY, marker_numbers

MARKER = CITATION_MARKER
# A sentence ends at . ! ? (with any citation markers right after it) or at a line break.
SENTENCE_END = re.compile(rf"(?<=[.!?])((?:\s*{MARKER_BODY})*)(\s+|$)|\n+")
PASSAGE_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
NUMBER = re.compile(r"^\d+$")
MAX_QUOTE_CHARS = 400


@dataclass
class _Source:
    index: int  # 0-based position in the passages
    claim_terms: set[str] = field(default_factory=set)


class CitationCheck:
    def __init__(
        self,
        encoder: DutchSparseEncoder | None = None,
        *,
        min_support: float = 0.5,
        min_partial: float = 0.25,
    ) -> None:
        self._encoder = encoder or DutchSparseEncoder()
        self.min_support = min_support
        self.min_partial = min_partial

    def check(self, text: str, passages: Sequence[ScoredChunk]) -> CheckedAnswer:
        passage_terms = [self._passage_terms(p) for p in passages]
        numbering: dict[int, _Source] = {}  # old number -> source, in order of first use
        removed = 0
        pieces: list[str] = []
        for sentence, tail in _sentences(text):
            cited = marker_numbers(sentence)
            if not cited:
                pieces.append(sentence + tail)
                continue
            claim = MARKER.sub("", sentence)
            terms = set(self._encoder.terms(claim))
            kept = self._supported(terms, list(dict.fromkeys(cited)), passage_terms)
            removed += len(cited) - sum(1 for n in cited if n in kept)
            for n in kept:
                numbering.setdefault(n, _Source(index=n - 1)).claim_terms |= terms
            pieces.append(_rewrite(sentence, kept, numbering) + tail)
        citations = [self._citation(passages[s.index], s.claim_terms) for s in numbering.values()]
        return CheckedAnswer(
            text=_tidy("".join(pieces)),
            citations=citations,
            low_confidence=removed > 0 or not citations,
            removed_citations=removed,
        )

    def _supported(
        self, terms: set[str], cited: list[int], passage_terms: list[set[str]]
    ) -> list[int]:
        """The cited numbers that support the claim, in the order they were cited."""
        valid = [n for n in cited if 1 <= n <= len(passage_terms)]
        if not terms or not valid:
            return []
        words = {t for t in terms if not NUMBER.match(t)} or terms
        numbers = {t for t in terms if NUMBER.match(t) and len(t) > 1}  # not list numbering

        support = {n: words & passage_terms[n - 1] for n in valid}
        strong = [n for n in valid if len(support[n]) >= self.min_support * len(words)]
        covered = set().union(*(support[n] for n in strong))
        helpers: list[int] = []  # weaker passages that add support the others lack
        for n in sorted(valid, key=lambda n: -len(support[n])):
            new = support[n] - covered
            if n not in strong and new and len(support[n]) >= self.min_partial * len(words):
                helpers.append(n)
                covered |= new
        enough = len(covered) >= self.min_support * len(words)
        kept = set(strong + helpers) if strong or (len(helpers) > 1 and enough) else set()
        found = set().union(*(passage_terms[n - 1] for n in kept))
        if numbers - found:
            return []  # an amount, age or phone number the passages do not contain
        return [n for n in valid if n in kept]

    def _passage_terms(self, passage: ScoredChunk) -> set[str]:
        chunk = passage.chunk
        return set(self._encoder.terms(" ".join([chunk.title, *chunk.heading_path, chunk.text])))

    def _citation(self, passage: ScoredChunk, claim_terms: set[str]) -> Citation:
        return chunk_citation(passage.chunk, self._best_sentence(passage.chunk.text, claim_terms))

    def _best_sentence(self, text: str, claim_terms: set[str]) -> str:
        """Most shared stems wins; on a tie, the sentence where they make up the larger share."""
        best, best_key = "", (-1, 0.0)
        for raw in PASSAGE_SENTENCE.split(text):
            sentence = raw.strip().lstrip("#-* ").strip()
            if not sentence:
                continue
            terms = set(self._encoder.terms(sentence))
            overlap = len(claim_terms & terms)
            key = (overlap, overlap / len(terms) if terms else 0.0)
            if key > best_key:
                best, best_key = sentence, key
        if len(best) > MAX_QUOTE_CHARS:
            best = best[:MAX_QUOTE_CHARS].rsplit(" ", 1)[0] + " …"
        return best


def _sentences(text: str) -> list[tuple[str, str]]:
    """Split into (sentence, separator) pairs; joined back they give the text unchanged."""
    out: list[tuple[str, str]] = []
    start = 0
    for match in SENTENCE_END.finditer(text):
        if match.group(0) == "" or match.end() <= start:
            continue
        markers = match.group(1) or ""
        end = match.start() + len(markers) if match.group(2) is not None else match.start()
        out.append((text[start:end], text[end : match.end()]))
        start = match.end()
    if start < len(text):
        out.append((text[start:], ""))
    return out


def _rewrite(sentence: str, kept: list[int], numbering: dict[int, _Source]) -> str:
    """Each marker keeps only its supported numbers, renumbered, in place."""
    order = list(numbering)

    def renumber(marker: re.Match[str]) -> str:
        numbers = marker_numbers(marker[0])
        return "".join(f"[{order.index(n) + 1}]" for n in numbers if n in kept)

    return MARKER.sub(renumber, sentence)


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]+([.,!?;:])", r"\1", text)
    text = re.sub(r"(?<=\S)[ \t]{2,}", " ", text)
    return text.strip()
