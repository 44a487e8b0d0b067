"""Local providers: "what is there near me" answered by structured filter, not by similarity.

The user's place comes from a postcode (PC4 -> gemeente table) or a gemeente named in the
question; the service comes from a Dutch lexicon (assistant/data/services.nl.yaml) that maps
everyday words ("logeerhuis", "even vrij") to the service vocabulary of the listings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from wegwijs.domain import SERVICE_TYPES, Provider

LEXICON_PATH = Path(__file__).parent / "data" / "services.nl.yaml"
POSTCODE = re.compile(r"\b([1-9]\d{3})\s?(?:[a-zA-Z]{2})?\b")
EXAMPLE_MARK = "(voorbeeld)"


@dataclass(frozen=True)
class ServiceLexicon:
    phrases: tuple[tuple[str, str], ...]  # (lower-case phrase, service), in file order
    near_me: tuple[str, ...]

    @classmethod
    def load(cls, path: Path = LEXICON_PATH) -> ServiceLexicon:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        phrases: list[tuple[str, str]] = []
        for service, words in (data.get("services") or {}).items():
            if service not in SERVICE_TYPES:
                raise ValueError(f"{path}: unknown service '{service}' (see SERVICE_TYPES)")
            phrases.extend((str(w).lower(), service) for w in words)
        return cls(tuple(phrases), tuple(str(c).lower() for c in data.get("near_me") or ()))

    def service_in(self, text: str) -> str | None:
        """The service the text asks about: the longest matching phrase wins."""
        lowered = text.lower()
        best: tuple[int, int, str] | None = None
        for order, (phrase, service) in enumerate(self.phrases):
            if _contains(lowered, phrase):
                key = (len(phrase), -order, service)
                if best is None or key[:2] > best[:2]:
                    best = key
        return best[2] if best else None

    def has_near_me_cue(self, text: str) -> bool:
        lowered = text.lower()
        return any(_contains(lowered, cue) for cue in self.near_me)


@dataclass(frozen=True)
class LocalQuestion:
    service: str
    gemeente: str | None  # None: we know what, not where (ask for a postcode)
    pc4: int | None = None


class ProviderDirectory:
    def __init__(
        self,
        providers: Iterable[Provider],
        pc4_table: Mapping[str, str],
        lexicon: ServiceLexicon | None = None,
    ) -> None:
        self.providers = list(providers)
        self.pc4_table = dict(pc4_table)
        self.lexicon = lexicon or ServiceLexicon.load()
        names = set(self.pc4_table.values())
        for provider in self.providers:
            names.update(provider.municipalities)
        # Longest first, so "Bergen op Zoom" wins over a shorter name inside it.
        self.gemeenten = sorted(names, key=len, reverse=True)

    def gemeente_for(self, postcode_or_town: str) -> str | None:
        """'4811AB', '4811 ab', '4811' or a gemeente name -> the gemeente, None when unknown."""
        text = postcode_or_town.strip()
        match = POSTCODE.search(text)
        if match:
            found = self.pc4_table.get(match.group(1))
            if found:
                return found
        lowered = text.lower()
        for name in self.gemeenten:
            if _contains(lowered, name.lower()):
                return name
        return None

    def find(self, service: str, gemeente: str, pc4: int | None = None) -> list[Provider]:
        """Providers offering the service in the gemeente; with a PC4, only those covering it
        (a provider without postcode ranges covers the whole gemeente)."""
        found = [
            p
            for p in self.providers
            if service in p.services
            and gemeente in p.municipalities
            and (pc4 is None or not p.postcode_ranges or _covers(p, pc4))
        ]
        return sorted(found, key=lambda p: (not p.postcode_ranges, p.name))

    def local_question(
        self, question: str, gemeente: str | None = None, postcode4: str | None = None
    ) -> LocalQuestion | None:
        """A "what is there near me" question, or None. Needs a service word and a place cue
        (near-me phrase, postcode or a named gemeente)."""
        service = self.lexicon.service_in(question)
        if service is None:
            return None
        named = self.gemeente_for(question)
        if named is None and not self.lexicon.has_near_me_cue(question):
            return None
        from_postcode = self.pc4_table.get(postcode4) if postcode4 else None
        place = named or gemeente or from_postcode
        # The postcode narrows the listing only when it lies in the gemeente we answer for.
        pc4 = int(postcode4) if postcode4 and place is not None and from_postcode == place else None
        return LocalQuestion(service=service, gemeente=place, pc4=pc4)


def display_name(provider: Provider) -> str:
    """The listing name, with a clear '(voorbeeld)' marker on example data."""
    if provider.example and EXAMPLE_MARK not in provider.name.lower():
        return f"{provider.name} {EXAMPLE_MARK}"
    return provider.name


def _covers(provider: Provider, pc4: int) -> bool:
    return any(low <= pc4 <= high for low, high in provider.postcode_ranges)


def _contains(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text) is not None
