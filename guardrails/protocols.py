"""The seam to the PII engine (guardrails/pii builds the real one: DutchPiiRedactor)."""

from __future__ import annotations

from typing import Protocol

from wegwijs.domain import Entity


class RedactionResult(Protocol):
    @property
    def redacted_text(self) -> str: ...

    @property
    def entities(self) -> tuple[Entity, ...]: ...

    @property
    def postcode4(self) -> str | None: ...


class PiiRedactor(Protocol):
    def redact(self, text: str) -> RedactionResult: ...
