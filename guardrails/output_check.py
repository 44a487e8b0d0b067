"""The output check, run on every answer before it is shown: no PII echoed, no medical advice."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from guardrails.medical import MedicalAdviceDetector
from guardrails.protocols import PiiRedactor
from wegwijs.domain import Entity

# Institution names in an answer (CIZ, SVB, a zorgkantoor) are the point of the answer.
IGNORED_TYPES = frozenset({"INSTELLING"})


class OutputAction(StrEnum):
    passed = "passed"  # shown as is
    repaired = "repaired"  # PII replaced by placeholders
    blocked = "blocked"  # medical advice: the refusal text is shown instead


@dataclass(frozen=True)
class OutputVerdict:
    action: OutputAction
    text: str  # what may be shown
    reasons: tuple[str, ...] = ()
    entities: tuple[Entity, ...] = ()  # PII spans found in the original answer text

    @property
    def ok(self) -> bool:
        return self.action is OutputAction.passed


def _key(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    return digits if len(digits) >= 3 else value.strip().lower()


class OutputCheck:
    def __init__(
        self,
        pii: PiiRedactor,
        medical: MedicalAdviceDetector,
        refusal_text: str,
        allowed: Iterable[str] = (),
    ) -> None:
        self.pii = pii
        self.medical = medical
        self.refusal_text = refusal_text
        self.allowed = frozenset(_key(a) for a in allowed if a and a.strip())

    def check(
        self, answer_text: str, allowed: Sequence[str] = (), source_text: str = ""
    ) -> OutputVerdict:
        """`allowed`: literals the answer may contain (phones of cited providers, for example).
        `source_text`: the curated corpus text the answer quotes (retrieved passages, the
        approved FAQ answer, provider listings); a span found verbatim there is not the
        user's personal data (the engine never saw that) and is not echoed PII."""
        finding = self.medical.detect(answer_text)
        if finding is not None:
            reasons = tuple(f"output:{r}" for r in finding.rule_ids)
            return OutputVerdict(OutputAction.blocked, self.refusal_text, reasons)
        allow = self.allowed | {_key(a) for a in allowed if a and a.strip()}
        result = self.pii.redact(answer_text)
        source = source_text.casefold()
        leaks = [
            e
            for e in result.entities
            if e.type not in IGNORED_TYPES
            and _key(answer_text[e.start : e.end]) not in allow
            and answer_text[e.start : e.end].casefold() not in source
        ]
        if not leaks:
            return OutputVerdict(OutputAction.passed, answer_text)
        repaired = answer_text
        for entity in sorted(leaks, key=lambda e: e.start, reverse=True):
            repaired = repaired[: entity.start] + f"[{entity.type}]" + repaired[entity.end :]
        reasons = tuple(dict.fromkeys(f"output:pii:{e.type}" for e in leaks))
        return OutputVerdict(OutputAction.repaired, repaired, reasons, tuple(leaks))
