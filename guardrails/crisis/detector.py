"""Crisis rules: explicit Dutch phrases per sentence, the precise first layer.

The learned heads (guardrails/classifier) cover wording nobody wrote a rule for; the rules
stay for what rules do well: explicit phrases, negation, the kind, and acute danger (112).
A weak cue that a practical object defuses ("ik zie het niet meer zitten met die formulieren")
is not a crisis but a concern: the answer comes with human contacts on top.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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


@dataclass(frozen=True)
class RuleOutcome:
    finding: CrisisFinding | None  # confirmed crisis hits
    defused: tuple[CrisisKind, ...] = ()  # weak cues with a practical object: a concern
    acute: bool = False  # an acute marker (a weapon, a threat to kill): 112 first


class CrisisDetector:
    """Finds suicide/self-harm, violence/abuse and acute emergencies in raw user text."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules

    @classmethod
    def from_files(cls) -> CrisisDetector:
        return cls(RuleSet.from_yaml(RULES_FILE))

    def detect(self, text: str) -> RuleOutcome:
        confirmed: list[Hit] = []
        defused: list[CrisisKind] = []
        acute = False
        for index, sentence in enumerate(sentences(normalise(text))):
            for hit in self.rules.scan(sentence, index):
                if hit.marker:
                    acute = acute or hit.acute
                elif hit.strong or not hit.dampened:
                    confirmed.append(hit)
                else:
                    defused.append(CrisisKind(hit.kind))
        finding = _finding(confirmed, acute)
        return RuleOutcome(finding, tuple(dict.fromkeys(defused)), acute)


def _finding(confirmed: list[Hit], acute_marker: bool) -> CrisisFinding | None:
    if not confirmed:
        return None
    found = {CrisisKind(hit.kind) for hit in confirmed}
    acute = acute_marker or any(hit.acute for hit in confirmed)
    if acute and CrisisKind.violence in found and CrisisKind.emergency not in found:
        order: tuple[CrisisKind, ...] = (CrisisKind.violence, CrisisKind.suicide)
    else:
        order = KIND_PRIORITY
    kinds = tuple(kind for kind in order if kind in found)
    rule_ids = tuple(dict.fromkeys(hit.rule_id for hit in confirmed))
    return CrisisFinding(kinds[0], kinds, acute, rule_ids)
