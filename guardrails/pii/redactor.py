"""DutchPiiRedactor: find Dutch PII with presidio (+ deduce) and replace it with typed placeholders.

Build it once (slow: loads deduce's lookup tables), then call `redact` per message (fast).
Entities point into the raw text (type, start, end) and never carry the raw value.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig
from presidio_anonymizer.entities import RecognizerResult as Replacement

from guardrails.pii.allowlist import Allowlist
from guardrails.pii.deduce_names import DeduceRecognizer, load_deduce
from guardrails.pii.nlp_engine import BlankDutchNlpEngine
from guardrails.pii.recognizers import PATTERN_RECOGNIZERS
from guardrails.pii.recognizers.base import LANGUAGE
from guardrails.pii.recognizers.postcode import postcode_digits
from guardrails.pii.relation_names import RelationNameRecognizer
from wegwijs.domain import Entity

ENTITY_TYPES: tuple[str, ...] = (
    "NAAM", "BSN", "IBAN", "TELEFOON", "EMAIL", "POSTCODE", "ADRES", "GEBOORTEDATUM",
    "DOSSIERNUMMER", "INSTELLING",
)  # fmt: skip
MIN_SCORE = 0.35


@dataclass(frozen=True)
class PiiResult:
    redacted_text: str
    entities: tuple[Entity, ...]
    postcode4: str | None = None


class DutchPiiRedactor:
    """Presidio analyzer (Dutch, offline) + deduce names + presidio anonymizer."""

    def __init__(
        self,
        *,
        use_deduce: bool = True,
        deduce_cache_path: Path | None = None,
        allowlist: Allowlist | None = None,
    ) -> None:
        registry = RecognizerRegistry(supported_languages=[LANGUAGE])
        for recognizer_class in PATTERN_RECOGNIZERS:
            registry.add_recognizer(recognizer_class())
        self._allowlist = allowlist or Allowlist.load()
        if use_deduce:
            engine = load_deduce(deduce_cache_path)
            names = DeduceRecognizer(engine)
            registry.add_recognizer(names)
            registry.add_recognizer(RelationNameRecognizer(engine, names.common_words))
            self._allowlist = self._allowlist.with_sentence_start_words(names.common_words)
        self._analyzer = AnalyzerEngine(
            registry=registry,
            nlp_engine=BlankDutchNlpEngine(),
            supported_languages=[LANGUAGE],
            default_score_threshold=MIN_SCORE,
        )
        self._anonymizer = AnonymizerEngine()
        self._operators = {
            entity: OperatorConfig("replace", {"new_value": f"[{entity}]"})
            for entity in ENTITY_TYPES
        }

    def redact(self, text: str) -> PiiResult:
        if not text.strip():
            return PiiResult(redacted_text=text, entities=())
        found = self._analyzer.analyze(text=text, language=LANGUAGE, entities=list(ENTITY_TYPES))
        protected = self._allowlist.protected_spans(text)
        kept = [
            r
            for r in found
            if not self._allowlist.keeps(
                r.entity_type, text[r.start : r.end], _at_sentence_start(text, r.start)
            )
            and not any(start <= r.start and r.end <= end for start, end in protected)
        ]
        chosen = resolve_overlaps(kept)
        postcode4 = next(
            (postcode_digits(text[r.start : r.end]) for r in chosen if r.entity_type == "POSTCODE"),
            None,
        )
        replacements = [Replacement(r.entity_type, r.start, r.end, r.score) for r in chosen]
        redacted = self._anonymizer.anonymize(
            text=text, analyzer_results=replacements, operators=self._operators
        ).text
        entities = tuple(Entity(type=r.entity_type, start=r.start, end=r.end) for r in chosen)
        return PiiResult(redacted_text=redacted, entities=entities, postcode4=postcode4)


def _at_sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \t\"'(*#>•-")
    return not before or before[-1] in ".!?:\n"


def resolve_overlaps(results: Iterable[RecognizerResult]) -> list[RecognizerResult]:
    """Keep non-overlapping spans: longest first, then the most specific (priority), then score."""
    ranked = sorted(results, key=_rank, reverse=True)
    chosen: list[RecognizerResult] = []
    for candidate in ranked:
        if all(candidate.end <= c.start or candidate.start >= c.end for c in chosen):
            chosen.append(candidate)
    return sorted(chosen, key=lambda r: r.start)


def _rank(result: RecognizerResult) -> tuple[int, int, float]:
    metadata = result.recognition_metadata or {}
    return (result.end - result.start, int(metadata.get("priority", 0)), result.score)


def entity_types(entities: Sequence[Entity]) -> tuple[str, ...]:
    return tuple(sorted({e.type for e in entities}))


def warm_up(cache_path: Path | None = None) -> float:
    """Build (or load) deduce's lookup cache and redact one message; returns the seconds taken."""
    started = time.perf_counter()
    DutchPiiRedactor(deduce_cache_path=cache_path).redact("Mevrouw Jansen, Ginnekenweg 12, Breda.")
    return time.perf_counter() - started
