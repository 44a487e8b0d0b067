"""Lower-case names: after a relation cue ("mijn man gert", "ik ben tineke"), and full names
anywhere ("jan de vries", "fatma yilmaz"), as a recognizer.

People typing at night often skip capitals. deduce's lists are case-sensitive; this recognizer
looks up the token after a relation cue (data/relation_names.yaml) in deduce's first-name list
(capitalised) and extends the span over particles and a surname from deduce's surname list.
Without a cue, a first name counts only when a surname follows it in the same phrase (a first
name alone is too often a word: "wil", "mag", "roos"); neither may be a common Dutch word.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import regex
import yaml
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from guardrails.pii.recognizers.base import LANGUAGE

DATA = Path(__file__).parent / "data" / "relation_names.yaml"
TOKEN = regex.compile(r"\p{L}+(?:-\p{L}+)*")
PARTICLES = frozenset({"van", "de", "der", "den", "het", "'t", "ter", "ten", "te", "in", "op"})
# Without a relation cue only the common tussenvoegsels count ("roos in de tuin" is no name).
PLAIN_PARTICLES = frozenset({"van", "de", "der", "den", "ter", "ten", "von"})


class RelationNameRecognizer(EntityRecognizer):
    def __init__(self, engine: Any, common_words: frozenset[str]) -> None:
        data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
        self._cues = [regex.compile(c, regex.IGNORECASE) for c in data["cues"]]
        self._never = frozenset(str(w) for w in data["never"]) | common_words
        self._max_surname = int(data["max_surname_tokens"])
        self._word_surnames = frozenset(str(w) for w in data["word_surnames"])
        self._first = engine.lookup_structs["first_name"]
        self._surname = engine.lookup_structs["surname"]
        super().__init__(
            supported_entities=["NAAM"], name="RelationNameRecognizer", supported_language=LANGUAGE
        )

    def load(self) -> None:
        """The lookup lists come from the deduce engine built before."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results = []
        for cue in self._cues:
            for match in cue.finditer(text):
                span = self._name_at(text, match.end())
                if span is not None:
                    results.append(self._result(*span))
        for token in TOKEN.finditer(text):
            if token.group(0).islower():
                span = self._name_at(text, token.start(), need_surname=True)
                if span is not None:
                    results.append(self._result(*span))
        return results

    def _name_at(
        self, text: str, position: int, need_surname: bool = False
    ) -> tuple[int, int] | None:
        tokens = list(TOKEN.finditer(text, position))
        if not tokens or tokens[0].start() != position:
            return None
        first = tokens[0].group(0)
        if first.casefold() in self._never:
            return None
        known = self._is_first_name(first)
        end = tokens[0].end()
        # Particles then a surname, in the same phrase: "ria de bruijn", "gert van den berg".
        rest = tokens[1 : 2 + self._max_surname]
        particles = PLAIN_PARTICLES if need_surname else PARTICLES
        index = 0
        while index < len(rest) and rest[index].group(0).casefold() in particles:
            index += 1
        if index < len(rest):
            surname = rest[index].group(0)
            same_phrase = not regex.search(r"[^\s\p{L}']", text[end : rest[index].start()])
            # After a particle ("van den berg", "de jong") a common word is a surname too.
            common = surname.casefold() in self._never and index == 0
            listed = [surname.capitalize()] in self._surname or (
                index > 0 and surname.casefold() in self._word_surnames
            )
            if same_phrase and not common and listed:
                end = rest[index].end()
        if not known or (need_surname and end == tokens[0].end()):
            return None
        return tokens[0].start(), end

    def _is_first_name(self, token: str) -> bool:
        """In deduce's list, capitalised; a double name counts when each part is one
        ("jan-willem", "anne-marie")."""
        parts = token.split("-")
        return all(
            p.casefold() not in self._never and [p.capitalize()] in self._first for p in parts
        )

    def _result(self, start: int, end: int) -> RecognizerResult:
        return RecognizerResult(
            entity_type="NAAM",
            start=start,
            end=end,
            score=0.6,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: "RelationNameRecognizer",
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                "priority": 60,
            },
        )
