"""Dutch pattern recognizers, one per file; patterns and context words live in YAML."""

from __future__ import annotations

from collections.abc import Callable

from presidio_analyzer import EntityRecognizer

from guardrails.pii.recognizers.address import AddressRecognizer
from guardrails.pii.recognizers.base import DataPatternRecognizer
from guardrails.pii.recognizers.birth_date import BirthDateRecognizer
from guardrails.pii.recognizers.bsn import BsnRecognizer
from guardrails.pii.recognizers.dossier_number import DossierNumberRecognizer
from guardrails.pii.recognizers.email import EmailRecognizer
from guardrails.pii.recognizers.iban import IbanRecognizer
from guardrails.pii.recognizers.phone import PhoneRecognizer
from guardrails.pii.recognizers.postcode import PostcodeRecognizer

# Each class builds itself from its own spec file: no constructor arguments.
PATTERN_RECOGNIZERS: tuple[Callable[[], EntityRecognizer], ...] = (
    BsnRecognizer,
    IbanRecognizer,
    PhoneRecognizer,
    EmailRecognizer,
    PostcodeRecognizer,
    AddressRecognizer,
    BirthDateRecognizer,
    DossierNumberRecognizer,
)

__all__ = [
    "PATTERN_RECOGNIZERS",
    "AddressRecognizer",
    "BirthDateRecognizer",
    "BsnRecognizer",
    "DataPatternRecognizer",
    "DossierNumberRecognizer",
    "EmailRecognizer",
    "IbanRecognizer",
    "PhoneRecognizer",
    "PostcodeRecognizer",
]
