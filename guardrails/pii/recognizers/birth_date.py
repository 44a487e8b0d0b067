"""Date-of-birth recognizer: a full date next to a birth word ("geboren", "geb.", ...)."""

from __future__ import annotations

from guardrails.pii.recognizers.base import DataPatternRecognizer


class BirthDateRecognizer(DataPatternRecognizer):
    spec_file = "birth_date.yaml"
