"""A presidio pattern recognizer whose patterns, context and scores are data (one YAML file).

Each recognizer file under this package pairs a `<name>.yaml` spec with a small subclass that
adds a validation hook (a check digit, a length table). Context words are regular expressions
searched in a character window before (and optionally after) a match; a pattern can require
context (dates of birth, dossier numbers) or let context overrule a failed validation (a BSN
with a typo, right after the word "BSN").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex
import yaml
from presidio_analyzer import Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

LANGUAGE = "nl"
_SENTENCE_END = regex.compile(r"[.!?]\s+(?=[A-Z])|\n")


@dataclass(frozen=True)
class PatternSpec:
    name: str
    compiled: regex.Pattern[str]
    score: float
    context_required: bool


@dataclass(frozen=True)
class RecognizerSpec:
    entity: str
    priority: int
    patterns: tuple[PatternSpec, ...]
    context: regex.Pattern[str] | None
    context_before: int
    context_after: int
    context_boost: float
    context_overrules_validation: bool


def load_spec(path: Path) -> RecognizerSpec:
    """Read one recognizer spec (YAML) and compile its expressions."""
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    definitions: dict[str, str] = {}
    for key, value in raw.get("definitions", {}).items():
        definitions[key] = value.format(**definitions)  # later ones may use earlier ones
    patterns = []
    for item in raw["patterns"]:
        flags = regex.VERSION1 | (regex.IGNORECASE if item.get("ignore_case", False) else 0)
        expression = item["regex"].format(**definitions) if definitions else item["regex"]
        # With `definitions`, every literal brace in a spec is doubled ({{8}}).
        patterns.append(
            PatternSpec(
                name=item["name"],
                compiled=regex.compile(expression, flags),
                score=float(item.get("score", raw.get("score", 0.6))),
                context_required=bool(item.get("context_required", False)),
            )
        )
    context_words = [str(word) for word in raw.get("context", [])]
    context = (
        regex.compile(r"(?<!\w)(?:" + "|".join(context_words) + r")", regex.IGNORECASE)
        if context_words
        else None
    )
    return RecognizerSpec(
        entity=raw["entity"],
        priority=int(raw.get("priority", 50)),
        patterns=tuple(patterns),
        context=context,
        context_before=int(raw.get("context_before", 40)),
        context_after=int(raw.get("context_after", 0)),
        context_boost=float(raw.get("context_boost", 0.3)),
        context_overrules_validation=bool(raw.get("context_overrules_validation", False)),
    )


class DataPatternRecognizer(PatternRecognizer):
    """Pattern recognizer driven by a `RecognizerSpec`; subclasses add `validate_value`."""

    spec_file: str = ""

    def __init__(self, spec: RecognizerSpec | None = None) -> None:
        self.spec = spec or load_spec(Path(__file__).with_name(self.spec_file))
        super().__init__(
            supported_entity=self.spec.entity,
            name=type(self).__name__,
            supported_language=LANGUAGE,
            patterns=[Pattern(p.name, p.compiled.pattern, p.score) for p in self.spec.patterns],
        )

    # Hooks -------------------------------------------------------------------------------
    def validate_value(self, value: str) -> bool | None:
        """True: valid, False: invalid, None: no check for this entity."""
        return None

    def refine_span(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        """Narrow a raw match to the real value (e.g. an IBAN of the country's length)."""
        return start, end

    # presidio interface ------------------------------------------------------------------
    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        results: dict[tuple[int, int], RecognizerResult] = {}
        for pattern in self.spec.patterns:
            for match in pattern.compiled.finditer(text, overlapped=False):
                span = self.refine_span(text, match.start(), match.end())
                if span is None:
                    continue
                start, end = span
                score = self._score(text, start, end, pattern)
                if score is None:
                    continue
                previous = results.get((start, end))
                if previous is None or previous.score < score:
                    results[(start, end)] = RecognizerResult(
                        entity_type=self.spec.entity,
                        start=start,
                        end=end,
                        score=score,
                        recognition_metadata={
                            RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
                            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                            "pattern": pattern.name,
                            "priority": self.spec.priority,
                        },
                    )
        return list(results.values())

    def _score(self, text: str, start: int, end: int, pattern: PatternSpec) -> float | None:
        has_context = self.has_context(text, start, end)
        if pattern.context_required and not has_context:
            return None
        valid = self.validate_value(text[start:end])
        if valid is False and not (has_context and self.spec.context_overrules_validation):
            return None
        score = pattern.score + (self.spec.context_boost if has_context else 0.0)
        if valid:
            score += 0.2
        return min(score, 1.0)

    def has_context(self, text: str, start: int, end: int) -> bool:
        if self.spec.context is None:
            return False
        before = text[max(0, start - self.spec.context_before) : start]
        after = text[end : end + self.spec.context_after]
        # Context does not reach across a sentence end ("... geboren. De brief van 12-03-2024").
        before = _SENTENCE_END.split(before)[-1]
        after = _SENTENCE_END.split(after)[0]
        return bool(self.spec.context.search(before) or self.spec.context.search(after))
