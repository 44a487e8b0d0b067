"""An offline presidio NLP engine for Dutch: a blank spaCy pipeline, no model download.

Our recognizers do their own context matching, so the engine only needs tokens; a tiny
component copies the lower-cased text into `lemma_` so presidio's context enhancer (which
compares lemmas) still works with the blank pipeline.
"""

from __future__ import annotations

import spacy
from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
from spacy.language import Language
from spacy.tokens import Doc

from guardrails.pii.recognizers.base import LANGUAGE

_LEMMA_COMPONENT = "wegwijs_lowercase_lemma"


@Language.component(_LEMMA_COMPONENT)
def _lowercase_lemma(doc: Doc) -> Doc:
    for token in doc:
        token.lemma_ = token.lower_
    return doc


class BlankDutchNlpEngine(SpacyNlpEngine):
    """SpacyNlpEngine over `spacy.blank("nl")`: tokens only, never downloads a model."""

    def __init__(self) -> None:
        super().__init__(
            models=[{"lang_code": LANGUAGE, "model_name": "blank:nl"}],
            ner_model_configuration=NerModelConfiguration(
                model_to_presidio_entity_mapping={}, labels_to_ignore=[]
            ),
        )

    def load(self) -> None:
        pipeline = spacy.blank(LANGUAGE)
        pipeline.add_pipe(_LEMMA_COMPONENT)
        self.nlp = {LANGUAGE: pipeline}  # type: ignore[assignment]  # presidio types it None

    def get_supported_entities(self) -> list[str]:
        return []
