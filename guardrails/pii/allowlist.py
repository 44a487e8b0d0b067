"""Words and helpline numbers that are never redacted (data in data/allowlist.yaml)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import regex
import yaml

ALLOWLIST_FILE = Path(__file__).parent / "data" / "allowlist.yaml"
_HONORIFICS = ("mevrouw", "meneer", "mevr", "mw", "dhr", "de heer", "heer", "mr", "dr")
# Surname particles: "het loket van Breda" is a town, not a person called "van Breda".
_PARTICLES = ("van", "de", "der", "den", "het", "'t", "ter", "ten", "te", "in", "op", "uit")


@dataclass(frozen=True)
class Allowlist:
    words: frozenset[str]
    numbers: frozenset[str]
    phrases: regex.Pattern[str]
    sentence_start_words: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: Path = ALLOWLIST_FILE) -> Allowlist:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        words = sorted({str(w) for w in raw.get("words", [])}, key=len, reverse=True)
        return cls(
            words=frozenset(w.casefold() for w in words),
            numbers=frozenset(_digits(str(n)) for n in raw.get("numbers", [])),
            phrases=regex.compile(
                r"(?<!\w)(?:" + "|".join(regex.escape(w) for w in words) + r")(?!\w)",
                regex.IGNORECASE,
            ),
            sentence_start_words=frozenset(
                str(w).casefold() for w in raw.get("sentence_start_words", [])
            ),
        )

    def with_sentence_start_words(self, words: frozenset[str]) -> Allowlist:
        """A copy that also treats `words` as ordinary words at the start of a sentence."""
        return replace(self, sentence_start_words=self.sentence_start_words | words)

    def protected_spans(self, text: str) -> list[tuple[int, int]]:
        """Where allowlisted phrases occur ("Bergen op Zoom"): nothing inside them is PII."""
        return [m.span() for m in self.phrases.finditer(text)]

    def keeps(self, entity: str, value: str, sentence_start: bool = False) -> bool:
        """True when a found span must stay in the text (a domain word, town, or helpline)."""
        normalized = " ".join(value.split()).strip(" .,;:!?()").casefold()
        if normalized in self.words:
            return True
        if entity == "TELEFOON":
            return _digits(value) in self.numbers
        if entity == "NAAM" and sentence_start and normalized in self.sentence_start_words:
            return True  # "Kost dat geld?", "Pas op": a capitalised word, not a surname
        if entity in {"NAAM", "INSTELLING"}:
            words = [w.strip(".,") for w in normalized.split()]
            words = [w for w in words if w and w not in _HONORIFICS]
            core = [w for w in words if w not in _PARTICLES]
            return not core or all(w in self.words for w in core)
        return False


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())
