"""Phone number recognizer: python-phonenumbers finds and validates the numbers.

Any format people type is found by phonenumbers' own matcher (spaces, dashes, dots,
brackets, "+31 (0)6", "0031", and foreign numbers such as +44, +32, +90 and +212), with the
Netherlands as the default region. Only dialable forms count: a match must start with "+",
"00", "0" or "(" (a bare run of nine digits is a BSN or a client number, not a phone number).
The national helplines (113, 0800-0113, ...) are kept by the allowlist.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import phonenumbers
import yaml
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from guardrails.pii.recognizers.base import LANGUAGE

SPEC = Path(__file__).with_name("phone.yaml")
DATE = re.compile(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")


class PhoneRecognizer(EntityRecognizer):
    def __init__(self, spec_path: Path = SPEC) -> None:
        spec: dict[str, Any] = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
        self.region = str(spec["default_region"])
        self.priority = int(spec["priority"])
        self.score = float(spec["score"])
        self.dialable = tuple(str(p) for p in spec["dialable_prefixes"])
        self.leniency = getattr(phonenumbers.Leniency, str(spec["leniency"]))
        super().__init__(
            supported_entities=[str(spec["entity"])],
            name="PhoneRecognizer",
            supported_language=LANGUAGE,
        )

    def load(self) -> None:
        """Nothing to load: phonenumbers ships its metadata."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results = []
        for match in phonenumbers.PhoneNumberMatcher(text, self.region, leniency=self.leniency):
            start, end = match.start, match.end
            raw = match.raw_string.lstrip("(")
            if not raw.startswith(self.dialable):
                continue
            if DATE.fullmatch(raw.strip()):
                continue  # 01-03-1948 has a possible length, but it is a date
            results.append(
                RecognizerResult(
                    entity_type=self.supported_entities[0],
                    start=start,
                    end=end,
                    score=self.score,
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: "PhoneRecognizer",
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                        "priority": self.priority,
                    },
                )
            )
        return results
