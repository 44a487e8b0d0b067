"""BSN (burgerservicenummer) recognizer with the 11-proef."""

from __future__ import annotations

from guardrails.pii.recognizers.base import DataPatternRecognizer


def passes_elfproef(digits: str) -> bool:
    """The BSN 11-proef: 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 is a multiple of 11 (and not 0)."""
    if len(digits) != 9 or not digits.isdigit() or set(digits) == {"0"}:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    return (total - int(digits[8])) % 11 == 0


class BsnRecognizer(DataPatternRecognizer):
    spec_file = "bsn.yaml"

    def validate_value(self, value: str) -> bool | None:
        return passes_elfproef("".join(ch for ch in value if ch.isdigit()))
