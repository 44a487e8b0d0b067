"""Dutch PII redaction: presidio (offline, language "nl") + Dutch recognizers + deduce."""

from __future__ import annotations

from guardrails.pii.redactor import DutchPiiRedactor, PiiResult, warm_up

__all__ = ["DutchPiiRedactor", "PiiResult", "warm_up"]
