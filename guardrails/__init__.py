"""Guardrails: crisis routing, medical-advice refusal, injection defence and PII redaction.

Build one `Guardrails` per process (see guardrails.factory.build_guardrails) and call
`guardrails.inspect(text, context)` on every user message before anything is logged or stored.
"""

from __future__ import annotations

from guardrails.inspector import Guardrails, InspectContext
from guardrails.output_check import OutputAction, OutputVerdict
from guardrails.protocols import PiiRedactor, RedactionResult
from wegwijs.domain import Verdict


def inspect(text: str, context: InspectContext | None = None, *, guards: Guardrails) -> Verdict:
    """Convenience wrapper: the caller passes the `Guardrails` it built (no global instance)."""
    return guards.inspect(text, context)


__all__ = [
    "Guardrails",
    "InspectContext",
    "OutputAction",
    "OutputVerdict",
    "PiiRedactor",
    "RedactionResult",
    "inspect",
]
