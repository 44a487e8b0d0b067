"""Dutch phone number recognizer (mobile, landline, 08x/09x numbers)."""

from __future__ import annotations

from guardrails.pii.recognizers.base import DataPatternRecognizer


def national_digits(value: str) -> str:
    """The number without country code or trunk zero: '+31 6 1234 5678' -> '612345678'."""
    digits = "".join(ch for ch in value if ch.isdigit())
    for prefix in ("0031", "31"):
        if value.lstrip().startswith(("+", "00")) and digits.startswith(prefix):
            digits = digits[len(prefix) :]
            break
    return digits.lstrip("0")


class PhoneRecognizer(DataPatternRecognizer):
    spec_file = "phone.yaml"

    def validate_value(self, value: str) -> bool | None:
        digits = national_digits(value)
        if digits[:3] in {"800", "900", "906", "909"}:
            return 7 <= len(digits) <= 10
        return len(digits) == 9
