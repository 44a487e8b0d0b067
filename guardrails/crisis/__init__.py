"""Crisis detection (rules) and routing to human contacts."""

from guardrails.crisis.detector import CrisisDetector, CrisisFinding, RuleOutcome

__all__ = ["CrisisDetector", "CrisisFinding", "RuleOutcome"]
