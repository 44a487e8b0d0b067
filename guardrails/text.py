"""Text normalisation and sentence/clause splitting shared by the rule-based detectors."""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+|\s+-\s+")
_CLAUSE_BREAK = re.compile(r"[,;:()]|\b(?:maar|want|en|omdat|terwijl|hoewel)\b")
_TOKEN = re.compile(r"[\w']+")


def normalise(text: str) -> str:
    """Lower case, accents stripped (suïcide -> suicide), apostrophes unified, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    lowered = stripped.translate(_APOSTROPHES).lower()
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in lowered.split("\n"))
    return "\n".join(line for line in lines if line)


def sentences(normalised: str) -> list[str]:
    """Split normalised text into sentences (also on line breaks and dashes)."""
    return [part.strip() for part in _SENTENCE_SPLIT.split(normalised) if part and part.strip()]


def tokens_before(sentence: str, position: int, limit: int) -> list[str]:
    """The last `limit` tokens before `position`, stopping at a clause break."""
    head = sentence[:position]
    breaks = list(_CLAUSE_BREAK.finditer(head))
    if breaks:
        head = head[breaks[-1].end() :]
    return _TOKEN.findall(head)[-limit:]
