"""IBAN recognizer (NL and the other SEPA countries) with the mod-97 check."""

from __future__ import annotations

from guardrails.pii.recognizers.base import DataPatternRecognizer

# Length of the full IBAN per country (SEPA area).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28,
    "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31,
    "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
}  # fmt: skip


def passes_mod97(iban: str) -> bool:
    compact = iban.replace(" ", "").upper()
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


class IbanRecognizer(DataPatternRecognizer):
    spec_file = "iban.yaml"

    def refine_span(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        length = IBAN_LENGTHS.get(text[start : start + 2].upper())
        if length is None:
            return None
        seen, index = 0, start
        while index < len(text) and seen < length:
            char = text[index]
            if char.isalnum() and char.isascii():
                seen += 1
            elif not (char == " " and text[index - 1] != " "):
                return None  # one space between groups, nothing else
            index += 1
        if seen < length or text[index : index + 1].isalnum():
            return None
        return start, index

    def validate_value(self, value: str) -> bool | None:
        return passes_mod97(value)
