"""BM25-style sparse vectors from a Dutch tokenizer with Snowball stemming.

Documents get saturated, length-normalised term frequencies; Qdrant's IDF modifier on the
sparse vector supplies the inverse document frequency at query time, so the two together
score like BM25 without a corpus-wide statistics pass.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import snowballstemmer

TOKEN = re.compile(r"[0-9a-zà-ÿ]+(?:-[0-9a-zà-ÿ]+)*", re.IGNORECASE)

# Function words carry no retrieval signal; domain words (zorg, hulp, wet) are kept.
STOPWORDS = frozenset(
    line.strip()
    for line in (Path(__file__).parent / "data" / "stopwords.nl.txt")
    .read_text("utf-8")
    .splitlines()
    if line.strip() and not line.startswith("#")
)

AVG_DOC_TOKENS = 120.0
K1 = 1.2
B = 0.75


@dataclass(frozen=True)
class SparseVector:
    indices: list[int]
    values: list[float]


class DutchSparseEncoder:
    def __init__(self) -> None:
        self._stemmer = snowballstemmer.stemmer("dutch")

    @lru_cache(maxsize=50_000)  # noqa: B019 - one encoder per process; bounded cache
    def _stem(self, word: str) -> str:
        return str(self._stemmer.stemWord(word))

    def terms(self, text: str) -> list[str]:
        out: list[str] = []
        for match in TOKEN.finditer(text.lower()):
            token = match.group(0)
            parts = [token, *token.split("-")] if "-" in token else [token]
            for part in parts:
                if part in STOPWORDS or (len(part) < 2 and not part.isdigit()):
                    continue
                out.append(self._stem(part))
        return out

    @staticmethod
    def term_id(term: str) -> int:
        return zlib.crc32(term.encode("utf-8")) & 0x7FFFFFFF

    def encode_document(self, text: str) -> SparseVector:
        counts = Counter(self.terms(text))
        length = sum(counts.values()) or 1
        norm = K1 * (1 - B + B * length / AVG_DOC_TOKENS)
        return self._vector({t: tf * (K1 + 1) / (tf + norm) for t, tf in counts.items()})

    def encode_query(self, text: str) -> SparseVector:
        return self._vector({t: 1.0 for t in set(self.terms(text))})

    def _vector(self, weights: dict[str, float]) -> SparseVector:
        merged: dict[int, float] = {}
        for term, weight in weights.items():
            key = self.term_id(term)
            merged[key] = merged.get(key, 0.0) + weight
        indices = sorted(merged)
        return SparseVector(indices=indices, values=[merged[i] for i in indices])
