"""Prompt injection and misuse: user text that tries to steer the assistant off its task."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from guardrails.rules import RuleSet
from guardrails.text import normalise, sentences

RULES_FILE = Path(__file__).with_name("rules.yaml")
INJECTION_KINDS = frozenset({"override", "leak", "roleplay", "roleplay_medical", "jailbreak"})


@dataclass(frozen=True)
class InjectionFinding:
    injection: bool  # an attempt to change the assistant's instructions or role
    medical_roleplay: bool  # "doe alsof je een arts bent": refuse as medical advice
    off_topic: bool  # unrelated task (poem, homework, code)
    rule_ids: tuple[str, ...]


class InjectionDetector:
    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules

    @classmethod
    def from_files(cls) -> InjectionDetector:
        return cls(RuleSet.from_yaml(RULES_FILE))

    def detect(self, text: str) -> InjectionFinding | None:
        normalised = normalise(text)
        # Whole-text scan too: markers like "### system:" sit at line starts.
        parts = [*sentences(normalised), normalised]
        hits = [hit for index, part in enumerate(parts) for hit in self.rules.scan(part, index)]
        if not hits:
            return None
        kinds = {hit.kind for hit in hits}
        return InjectionFinding(
            injection=bool(kinds & INJECTION_KINDS),
            medical_roleplay="roleplay_medical" in kinds,
            off_topic="off_topic" in kinds,
            rule_ids=tuple(dict.fromkeys(hit.rule_id for hit in hits)),
        )
