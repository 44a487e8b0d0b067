"""Prompt injection and misuse detection."""

from guardrails.injection.detector import InjectionDetector, InjectionFinding

__all__ = ["InjectionDetector", "InjectionFinding"]
