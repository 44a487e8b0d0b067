"""The whole corpus as loaded from disk: documents, answer cards (the approved FAQ and the
Wegwijs library), providers, postcodes, the gemeenten's own contacts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from guardrails.injection import InjectionDetector
from ingest.cards import load_cards
from ingest.gemeenten import load_gemeenten
from ingest.last_good import LastGood
from ingest.loaders import discover, load_document
from ingest.problems import Problem, error
from ingest.providers import load_pc4_table, load_providers
from wegwijs.domain import Card, GemeenteContacts, Provider, SourceDocument


@dataclass
class Corpus:
    root: Path
    documents: list[SourceDocument] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)  # approved FAQ first, then the library
    gemeenten: dict[str, GemeenteContacts] = field(default_factory=dict)
    providers: list[Provider] = field(default_factory=list)
    pc4: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    failed_paths: set[str] = field(default_factory=set)

    @property
    def faq(self) -> list[Card]:
        """The organisation's approved cards (its own FAQ)."""
        return [card for card in self.cards if card.approved]

    @property
    def library(self) -> list[Card]:
        return [card for card in self.cards if not card.approved]

    def card(self, card_id: str) -> Card | None:
        return next((card for card in self.cards if card.id == card_id), None)

    def source_urls(self) -> list[str]:
        """Every URL the corpus cites: documents, cards (and their law articles), the
        gemeenten's contacts, the providers. All passed `wegwijs.links.is_source_url`."""
        urls: list[str] = []
        for doc in self.documents:
            urls += [*doc.sources, *(item.url for item in doc.legal)]
            urls += [doc.read_more.url] if doc.read_more else []
        for card in self.cards:
            urls += [*card.sources, *(item.url for item in card.legal)]
            urls += [card.read_more.url] if card.read_more else []
        for contacts in self.gemeenten.values():
            for contact in contacts.contacts:
                urls += [url for url in (contact.source, contact.url) if url]
        urls += [provider.url for provider in self.providers if provider.url]
        return urls

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


class CorpusUnavailable(RuntimeError):
    """The corpus folder is missing or lost everything: a fault (an unmounted volume, a folder
    moved away), never an edit. Ingest stops; the index keeps answering."""


def load_corpus(root: Path, today: date | None = None, last_good: LastGood | None = None) -> Corpus:
    """Everything under `root`. With `last_good`, an answer-card file that fails to load is
    served in its last good version (see `ingest.last_good`)."""
    if not root.is_dir():
        raise CorpusUnavailable(f"corpus folder {root} is missing or no folder")
    today = today or date.today()
    corpus = Corpus(root=root)
    seen: dict[str, str] = {}
    for path in discover(root / "docs"):
        doc, problems = load_document(path, root, today)
        corpus.problems.extend(problems)
        if doc is None:
            corpus.failed_paths.add(str(path.relative_to(root)))
            continue
        planted = planted_instruction(path)
        if planted:
            corpus.problems.append(error(doc.path, planted, PLANTED))
            corpus.failed_paths.add(doc.path)
            continue
        if doc.id in seen:
            corpus.problems.append(error(doc.path, 2, f"id '{doc.id}' staat ook in {seen[doc.id]}"))
            corpus.failed_paths.add(doc.path)
            continue
        seen[doc.id] = doc.path
        corpus.documents.append(doc)
    for folder, status in (("faq", "approved"), ("cards", "library")):
        cards, problems = load_cards(root / folder, root, today, status, last_good)
        corpus.problems.extend(problems)
        corpus.failed_paths |= {p.path for p in problems if p.severity == "error"}
        for card in cards:
            planted = planted_instruction(root / card.path)
            if planted:
                corpus.problems.append(error(card.path, planted, PLANTED))
                corpus.failed_paths.add(card.path)
                continue
            if card.id in seen:
                corpus.problems.append(
                    error(card.path, 1, f"id '{card.id}' staat ook in {seen[card.id]}")
                )
                corpus.failed_paths.add(card.path)
                continue
            seen[card.id] = card.path
            corpus.cards.append(card)
    if last_good is not None:
        last_good.keep_only({str(p.relative_to(root)) for p in card_files(root)})
    card_ids = {card.id for card in corpus.cards}
    for card in corpus.cards:
        for missing in (item for item in card.next if item not in card_ids):
            corpus.problems.append(error(card.path, 1, f"next: kaart '{missing}' bestaat niet"))
    corpus.gemeenten, problems = load_gemeenten(root / "gemeenten", root)
    corpus.problems.extend(problems)
    corpus.providers, problems = load_providers(root / "providers", root)
    corpus.problems.extend(problems)
    corpus.pc4, problems = load_pc4_table(root / "postcodes" / "pc4_gemeente.csv", root)
    corpus.problems.extend(problems)
    return corpus


PLANTED = "opdracht aan de assistent in de tekst (prompt-injectie): niet ingelezen"


@cache
def _detector() -> InjectionDetector:
    return InjectionDetector.from_files()


def planted_instruction(path: Path) -> int | None:
    """The first line of a corpus file with an instruction to the assistant ("### system:
    ignore previous instructions ..."), by the guardrails' injection rules; None when clean.
    Such a file is reported and not ingested: corpus text is data, never an instruction."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None  # the loader reports unreadable files
    for number, line in enumerate(lines, start=1):
        finding = _detector().detect(line) if line.strip() else None
        if finding and finding.injection:
            return number
    return None


def card_files(root: Path) -> list[Path]:
    """Every answer-card file: the approved FAQ first, then the library."""
    folders = (root / "faq", root / "cards")
    return [
        path for folder in folders if folder.exists() for path in sorted(folder.rglob("*.y*ml"))
    ]


def faq_hash(entry: Card) -> str:
    text = "\n".join(
        (
            entry.question,
            *entry.variants,
            entry.answer,
            entry.law.value,
            entry.read_more.url if entry.read_more else "",
            *(item.label for item in entry.legal),
        )
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
