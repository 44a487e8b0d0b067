"""Dutch postcode recognizer. The redactor keeps the 4 digits for the local lookup."""

from __future__ import annotations

from guardrails.pii.recognizers.base import DataPatternRecognizer


def postcode_digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())[:4]


class PostcodeRecognizer(DataPatternRecognizer):
    spec_file = "postcode.yaml"

    def validate_value(self, value: str) -> bool | None:
        return len(postcode_digits(value)) == 4
