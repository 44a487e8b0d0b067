"""Plain-language measures for Dutch: sentence length and Flesch-Douma reading ease."""

from __future__ import annotations

import re
from dataclasses import dataclass

from wegwijs.text import strip_markdown

SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n{2,}|\n(?=\s*(?:[-*]|\d+\.)\s)")
WORD = re.compile(r"[0-9A-Za-zÀ-ÿ]+(?:['’-][0-9A-Za-zÀ-ÿ]+)*")
VOWEL_GROUP = re.compile(r"(?:ij|[aeiouyàáâäèéêëìíîïòóôöùúûü])+", re.IGNORECASE)


@dataclass(frozen=True)
class Readability:
    sentences: int
    words: int
    avg_sentence_words: float
    flesch_douma: float


def syllables(word: str) -> int:
    return max(1, len(VOWEL_GROUP.findall(word)))


def plain_text(markdown: str) -> str:
    """Drop headings and inline markup so only running text is measured (list marks stay:
    `sentences` ends a list item at the next one)."""
    return strip_markdown(markdown, headings=False, list_marks=True)


def sentences(text: str) -> list[str]:
    parts = [p.strip() for p in SENTENCE_END.split(text)]
    return [p for p in parts if WORD.search(p)]


def measure(markdown: str) -> Readability:
    text = plain_text(markdown)
    sents = sentences(text)
    words = [w for s in sents for w in WORD.findall(s)]
    if not sents or not words:
        return Readability(0, 0, 0.0, 0.0)
    avg_len = len(words) / len(sents)
    syllables_per_100 = 100.0 * sum(syllables(w) for w in words) / len(words)
    score = 206.84 - 0.77 * syllables_per_100 - 0.93 * avg_len
    return Readability(len(sents), len(words), round(avg_len, 2), round(score, 1))
