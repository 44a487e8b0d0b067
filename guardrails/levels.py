"""Three levels of response from the rules and the classifier scores: crisis, concern, none.

- crisis: a rule fires (precise first layer), or the crisis head is at or above its
  threshold. The kind comes from the rules when they fired, else from the kind head.
- concern: below the crisis threshold but above the concern threshold of the crisis head,
  or one sentence or window above the window threshold (a cue buried in a long message),
  or the distress head above its threshold, or a weak rule cue that a practical object
  defused ("ik zie het niet meer zitten met al die formulieren"). The user gets the normal
  answer with a short line of human contacts on top: a miss there costs little, and so does
  a false alarm.
- medical advice: a rule fires, or the medical head is at or above its threshold.
- out of scope: the scope head on the whole message (misuse rules live in guardrails/injection).

Without a classifier (no e5 model) only the rules decide, as before.
"""

from __future__ import annotations

from guardrails.classifier import GuardScores
from guardrails.crisis import CrisisFinding
from guardrails.crisis.detector import RuleOutcome
from wegwijs.domain import CrisisKind


class Levels:
    def __init__(self, thresholds: dict[str, float] | None) -> None:
        self.thresholds = thresholds or {}

    def _at(self, scores: GuardScores | None, head: str, threshold: str) -> bool:
        if scores is None or threshold not in self.thresholds:
            return False
        return float(getattr(scores, head)) >= self.thresholds[threshold]

    def crisis(self, rules: RuleOutcome, scores: GuardScores | None) -> CrisisFinding | None:
        if rules.finding is not None:
            return rules.finding
        if self._at(scores, "crisis", "crisis"):
            assert scores is not None
            kind = CrisisKind(scores.kind)
            acute = rules.acute and kind is CrisisKind.violence
            return CrisisFinding(kind, (kind,), acute, (f"classifier:{kind.value}",))
        return None

    def concern(
        self, rules: RuleOutcome, scores: GuardScores | None
    ) -> tuple[bool, CrisisKind | None]:
        """Whether to add human contacts, and the crisis kind the risk leans to (if any)."""
        if self._at(scores, "crisis", "concern") or self._at(scores, "window", "window"):
            assert scores is not None
            return True, CrisisKind(scores.kind)
        if rules.defused:
            return True, rules.defused[0]
        return self._at(scores, "distress", "distress"), None

    def medical(self, rule_hit: bool, scores: GuardScores | None) -> bool:
        return rule_hit or self._at(scores, "medical", "medical")

    def out_of_scope(self, scores: GuardScores | None) -> bool:
        return self._at(scores, "scope", "scope")

    def reasons(self, scores: GuardScores | None) -> tuple[str, ...]:
        """The classifier's scores, for evaluators (numbers only, never text)."""
        if scores is None:
            return ()
        return (
            f"classifier:crisis={scores.crisis:.3f}:{scores.kind}",
            f"classifier:window={scores.window:.3f}",
            f"classifier:distress={scores.distress:.3f}",
            f"classifier:medical={scores.medical:.3f}",
            f"classifier:scope={scores.scope:.3f}",
        )
