"""Crisis detection and routing to human contacts."""

from guardrails.crisis.detector import CrisisDetector, CrisisFinding
from guardrails.crisis.semantic import ExemplarIndex

__all__ = ["CrisisDetector", "CrisisFinding", "ExemplarIndex"]
