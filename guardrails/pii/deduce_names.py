"""Person names, institutions and looked-up street addresses from deduce, as a presidio recognizer.

deduce (a Dutch de-identification library) builds its lookup tables once (1-3 minutes) and
caches them as a pickle next to its data, inside the virtualenv; `guardrails.pii.warmup` does
that at install time. Only names, institutions and street + house number are taken from it:
dates, phone numbers, e-mail, postcodes and BSNs come from our own recognizers, and a town
name alone ("Breda") is never reported.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import regex
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from guardrails.pii.recognizers.base import LANGUAGE

# deduce annotators we do not use (our own recognizers cover them, or they are not PII here).
DISABLED_ANNOTATORS: dict[str, tuple[str, ...]] = {
    "names": ("patient_name",),
    "locations": ("placename", "postal_code", "postbus"),
    "dates": (),
    "ages": (),
    "identifiers": (),
    "phone_numbers": (),
    "email_addresses": (),
    "urls": (),
}
WHOLE_GROUPS_DISABLED = ("dates", "ages", "identifiers", "phone_numbers", "email_addresses", "urls")

TAG_TO_ENTITY: dict[str, str] = {
    "persoon": "NAAM",
    "patient": "NAAM",
    "ziekenhuis": "INSTELLING",
    "zorginstelling": "INSTELLING",
    "locatie": "ADRES",
}
PRIORITY: dict[str, int] = {"NAAM": 65, "INSTELLING": 40, "ADRES": 74}
_HOUSE_NUMBER = regex.compile(r"(?<!\d)\d{1,3}(?!\d)")
# A "name" made only of these words is a deduce artefact ("aan de " before "Laan van ...").
PARTICLES = frozenset({"aan", "de", "den", "der", "het", "in", "op", "ten", "ter", "van", "'t"})


def common_words(engine: Any) -> frozenset[str]:
    """deduce's own lists of common Dutch words and stop words (lower case)."""
    words: set[str] = set()
    for name in ("common_word", "stop_word"):
        if name in engine.lookup_structs:
            words.update(item.casefold() for item in engine.lookup_structs[name].items())
    return frozenset(words)


def load_deduce(cache_path: Path | None = None) -> Any:
    """Build a Deduce instance (fast when its lookup cache exists) without its logging setup."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    import deduce  # deduce calls logging.basicConfig(DEBUG, stdout) on import: undone below

    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    kwargs: dict[str, Any] = {}
    if cache_path is not None:
        kwargs["cache_path"] = cache_path
    engine = deduce.Deduce(**kwargs)
    for group in WHOLE_GROUPS_DISABLED:
        if group in engine.processors.get_names(recursive=False):
            engine.processors.remove_processor(group)
    for group, names in DISABLED_ANNOTATORS.items():
        if group in WHOLE_GROUPS_DISABLED:
            continue
        for name in names:
            if name in engine.processors[group].get_names(recursive=False):
                engine.processors[group].remove_processor(name)
    engine.processors["post_processing"].remove_processor("redactor")
    return engine


class DeduceRecognizer(EntityRecognizer):
    """Wraps deduce: person names (NAAM), institutions (INSTELLING), street + number (ADRES)."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self.common_words = common_words(engine)
        super().__init__(
            supported_entities=["NAAM", "INSTELLING", "ADRES"],
            name="DeduceRecognizer",
            supported_language=LANGUAGE,
        )

    def load(self) -> None:
        """The deduce engine is built before; nothing to load here."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        document = self._engine.deidentify(text)
        results = []
        for annotation in document.annotations:
            entity = TAG_TO_ENTITY.get(annotation.tag)
            if entity is None:
                continue
            value = annotation.text
            if entity == "ADRES" and not _HOUSE_NUMBER.search(value):
                continue  # a place or street name alone (or with a postcode4) is kept
            if all(word.casefold() in PARTICLES for word in value.split()):
                continue
            start = int(annotation.start_char) + (len(value) - len(value.lstrip()))
            end = int(annotation.end_char) - (len(value) - len(value.rstrip()))
            results.append(
                RecognizerResult(
                    entity_type=entity,
                    start=start,
                    end=end,
                    score=0.7,
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: "DeduceRecognizer",
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                        "priority": PRIORITY[entity],
                        "deduce_tag": annotation.tag,
                    },
                )
            )
        return results
