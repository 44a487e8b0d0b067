"""E-mail address recognizer (shape only, no network lookups)."""

from __future__ import annotations

from guardrails.pii.recognizers.base import DataPatternRecognizer


class EmailRecognizer(DataPatternRecognizer):
    spec_file = "email.yaml"

    def validate_value(self, value: str) -> bool | None:
        local, _, domain = value.partition("@")
        return bool(local) and ".." not in value and "." in domain
