"""Client/dossier/policy number recognizer: a code right after the word that names it."""

from __future__ import annotations

from guardrails.pii.recognizers.base import DataPatternRecognizer


class DossierNumberRecognizer(DataPatternRecognizer):
    spec_file = "dossier_number.yaml"

    def validate_value(self, value: str) -> bool | None:
        return sum(ch.isdigit() for ch in value) >= 4
