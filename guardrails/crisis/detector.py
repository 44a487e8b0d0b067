"""Crisis detection: Dutch rules per sentence, plus similarity to exemplars as a second signal."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from guardrails.crisis.semantic import ExemplarIndex
from guardrails.rules import Hit, RuleSet
from guardrails.text import normalise, sentences
from wegwijs.domain import CrisisKind

RULES_FILE = Path(__file__).with_name("rules.yaml")
# When one message holds several kinds, this one leads the reply (contacts of the others follow).
KIND_PRIORITY = (CrisisKind.emergency, CrisisKind.suicide, CrisisKind.violence)


@dataclass(frozen=True)
class CrisisFinding:
    kind: CrisisKind
    kinds: tuple[CrisisKind, ...]  # every kind found, leading kind first
    acute: bool  # acute danger: 112 first
    rule_ids: tuple[str, ...]


class CrisisDetector:
    """Finds suicide/self-harm, violence/abuse and acute emergencies in raw user text."""

    def __init__(self, rules: RuleSet, exemplars: ExemplarIndex | None = None) -> None:
        self.rules = rules
        self.exemplars = exemplars

    @classmethod
    def from_files(cls, exemplars: ExemplarIndex | None = None) -> CrisisDetector:
        return cls(RuleSet.from_yaml(RULES_FILE), exemplars)

    def detect(self, text: str) -> CrisisFinding | None:
        confirmed: list[Hit] = []
        for index, sentence in enumerate(sentences(normalise(text))):
            for hit in self.rules.scan(sentence, index):
                if hit.strong or self._weak_confirmed(hit, sentence):
                    confirmed.append(hit)
        if not confirmed:
            return None
        found = {CrisisKind(hit.kind) for hit in confirmed}
        acute = any(hit.acute for hit in confirmed)
        if acute and CrisisKind.violence in found and CrisisKind.emergency not in found:
            order: tuple[CrisisKind, ...] = (CrisisKind.violence, CrisisKind.suicide)
        else:
            order = KIND_PRIORITY
        kinds = tuple(kind for kind in order if kind in found)
        rule_ids = tuple(dict.fromkeys(hit.rule_id for hit in confirmed))
        return CrisisFinding(kinds[0], kinds, acute, rule_ids)

    def _weak_confirmed(self, hit: Hit, sentence: str) -> bool:
        """A weak cue counts unless a practical object defuses it; then the exemplars decide."""
        if not hit.dampened:
            return True
        if self.exemplars is None:
            return False
        return self.exemplars.nearest_is_crisis(sentence)
