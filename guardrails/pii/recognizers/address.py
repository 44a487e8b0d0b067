"""Street + house number recognizer (a street-suffix lexicon plus "woont op/aan" context)."""

from __future__ import annotations

import regex

from guardrails.pii.recognizers.base import DataPatternRecognizer

# A year, a time or a postcode's 4 digits ("Ulvenhout 4851") is not a house number.
_NOT_A_HOUSE_NUMBER = regex.compile(r" (?:\d{4}|\d{1,2}[.:]\d\d)$")


class AddressRecognizer(DataPatternRecognizer):
    spec_file = "address.yaml"

    def validate_value(self, value: str) -> bool | None:
        return not _NOT_A_HOUSE_NUMBER.search(value)
