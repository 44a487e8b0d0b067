"""Medical-advice refusal: Wegwijs never gives diagnosis, dosage or treatment advice."""

from guardrails.medical.detector import MedicalAdviceDetector, MedicalFinding

__all__ = ["MedicalAdviceDetector", "MedicalFinding"]
