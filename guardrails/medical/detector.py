"""Medical-advice requests: diagnosis, dosage, treatment, stopping or combining medicines."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from guardrails.rules import RuleSet
from guardrails.text import normalise, sentences

RULES_FILE = Path(__file__).with_name("rules.yaml")
OUTPUT_RULES_FILE = Path(__file__).with_name("output_rules.yaml")


@dataclass(frozen=True)
class MedicalFinding:
    kinds: tuple[str, ...]  # dosage | medication | treatment | diagnosis
    rule_ids: tuple[str, ...]


class MedicalAdviceDetector:
    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules

    @classmethod
    def from_files(cls) -> MedicalAdviceDetector:
        return cls(RuleSet.from_yaml(RULES_FILE))

    @classmethod
    def for_answers(cls) -> MedicalAdviceDetector:
        """Patterns of medical advice in an answer (the output check)."""
        return cls(RuleSet.from_yaml(OUTPUT_RULES_FILE))

    def detect(self, text: str) -> MedicalFinding | None:
        hits = [
            hit
            for index, sentence in enumerate(sentences(normalise(text)))
            for hit in self.rules.scan(sentence, index)
        ]
        if not hits:
            return None
        return MedicalFinding(
            kinds=tuple(dict.fromkeys(hit.kind for hit in hits)),
            rule_ids=tuple(dict.fromkeys(hit.rule_id for hit in hits)),
        )
