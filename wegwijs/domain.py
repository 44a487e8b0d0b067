"""Domain types shared by every package (ingest, assistant, guardrails, ui, eval)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class Law(StrEnum):
    wmo = "wmo"
    zvw = "zvw"
    wlz = "wlz"
    jeugdwet = "jeugdwet"
    fiscaal = "fiscaal"
    werk = "werk"
    algemeen = "algemeen"


class Route(StrEnum):
    answer = "answer"
    crisis = "crisis"
    medical_refusal = "medical_refusal"
    out_of_scope = "out_of_scope"


class CrisisKind(StrEnum):
    suicide = "suicide"
    violence = "violence"
    emergency = "emergency"


class Strategy(StrEnum):
    faq = "faq"  # an approved card of the organisation (its own FAQ)
    card = "card"  # a card of the Wegwijs library
    generative = "generative"
    extractive = "extractive"
    none = "none"


SERVICE_TYPES: tuple[str, ...] = (
    "dagbesteding",
    "respijtzorg",
    "logeeropvang",
    "begeleid-wonen",
    "thuiszorg",
    "wijkverpleging",
    "casemanagement",
    "mantelzorgondersteuning",
    "mantelzorgmakelaar",
    "lotgenotencontact",
    "cliëntondersteuning",
    "huishoudelijke-hulp",
    "vervoer",
    "hulpmiddelen",
)


@dataclass(frozen=True)
class SourceDocument:
    """One corpus document after loading (Markdown, HTML, PDF or text), before chunking."""

    id: str
    title: str
    law: Law
    sources: tuple[str, ...]
    path: str
    text: str  # body in Markdown-ish form (headings as '#' lines)
    checked: date | None = None
    review_by: date | None = None
    municipalities: tuple[str, ...] = ()
    audience: str = ""
    kind: str = "doc"  # doc | faq
    content_hash: str = ""
    read_more: ReadMore | None = None  # the readable public page behind it
    legal: tuple[Legal, ...] = ()  # law articles behind it


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage. Its payload in the vector store mirrors these fields."""

    id: str  # stable point id (uuid string)
    doc_id: str
    title: str
    law: Law
    sources: tuple[str, ...]
    heading_path: tuple[str, ...]
    text: str
    municipalities: tuple[str, ...] = ()
    kind: str = "doc"  # doc | faq
    doc_hash: str = ""
    position: int = 0
    path: str = ""  # corpus file it came from
    read_more: str = ""  # readable page URL of its document ("" = none)
    legal: tuple[str, ...] = ()  # legal labels of its document ("Wmo 2015 art. 2.3.2")
    doc_chunks: int = 0  # points of its document version (ingest checks a document is whole)

    def payload(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "law": self.law.value,
            "sources": list(self.sources),
            "heading_path": list(self.heading_path),
            "text": self.text,
            "municipalities": list(self.municipalities),
            "kind": self.kind,
            "doc_hash": self.doc_hash,
            "position": self.position,
            "path": self.path,
            "read_more": self.read_more,
            "legal": list(self.legal),
            "doc_chunks": self.doc_chunks,
        }

    @classmethod
    def from_payload(cls, point_id: str, payload: dict[str, Any]) -> Chunk:
        return cls(
            id=point_id,
            doc_id=payload["doc_id"],
            title=payload["title"],
            law=Law(payload["law"]),
            sources=tuple(payload.get("sources", ())),
            heading_path=tuple(payload.get("heading_path", ())),
            text=payload["text"],
            municipalities=tuple(payload.get("municipalities", ())),
            kind=payload.get("kind", "doc"),
            doc_hash=payload.get("doc_hash", ""),
            position=int(payload.get("position", 0)),
            path=payload.get("path", ""),
            read_more=payload.get("read_more", ""),
            legal=tuple(payload.get("legal", ())),
            doc_chunks=int(payload.get("doc_chunks", 0)),
        )


@dataclass(frozen=True)
class ScoredChunk:
    chunk: Chunk
    score: float


@dataclass(frozen=True)
class Legal:
    """A law article behind an answer: "Wmo 2015 art. 2.3.2" and its page on wetten.overheid.nl."""

    label: str
    url: str


@dataclass(frozen=True)
class ReadMore:
    """A public page a carer can read (regelhulp.nl, rijksoverheid.nl, ...), never a law text."""

    title: str
    url: str


# Facet values: for whom a card is, and where that person lives.
FOR_VALUES = ("ouder", "partner", "kind", "jongvolwassene", "jonge-mantelzorger", "iedereen")
SETTING_VALUES = ("thuis", "instelling", "iedereen")


@dataclass(frozen=True)
class Facets:
    for_: tuple[str, ...] = ("iedereen",)
    setting: tuple[str, ...] = ("iedereen",)


@dataclass(frozen=True)
class Card:
    """An answer card: one question (+ variants) and one self-contained answer shown verbatim.

    `status` "approved" = the organisation's own FAQ (corpus/faq/); "library" = the Wegwijs
    library (corpus/cards/). `next` lists card ids offered as buttons after the answer (the
    guided start)."""

    id: str
    question: str
    variants: tuple[str, ...]
    answer: str
    law: Law
    sources: tuple[str, ...]
    owner: str
    review_by: date | None
    path: str = ""
    retired: bool = False
    status: str = "approved"  # approved | library
    topic: str = ""
    facets: Facets = Facets()
    read_more: ReadMore | None = None
    legal: tuple[Legal, ...] = ()
    checked: date | None = None
    next: tuple[str, ...] = ()
    next_labels: tuple[str, ...] = ()  # button text per `next` card ("" = its question)

    @property
    def approved(self) -> bool:
        return self.status == "approved"


FaqEntry = Card  # the organisation's FAQ entries are approved cards


@dataclass(frozen=True)
class Provider:
    name: str
    services: tuple[str, ...]
    municipalities: tuple[str, ...]
    postcode_ranges: tuple[tuple[int, int], ...]
    phone: str
    url: str
    example: bool
    description: str = ""


@dataclass(frozen=True)
class LocalContact:
    """One of a gemeente's own contacts, with only the fields a public page confirmed."""

    role: str  # wmo_loket | steunpunt_mantelzorg | clientondersteuning
    name: str
    source: str  # the page that states these fields
    phone: str = ""
    url: str = ""
    hours: str = ""


@dataclass(frozen=True)
class GemeenteContacts:
    gemeente: str
    checked: date | None
    contacts: tuple[LocalContact, ...]

    def get(self, role: str) -> LocalContact | None:
        return next((c for c in self.contacts if c.role == role), None)


@dataclass(frozen=True)
class Contact:
    id: str
    name: str
    phones: tuple[str, ...]  # display form, e.g. "0800-0113"; tel: links strip separators
    situations: tuple[str, ...]  # suicide | violence | emergency | talk | dementia | medical
    hours: str
    url: str = ""
    chat_url: str = ""
    available_24_7: bool = False
    priority: int = 100  # lower comes first

    @property
    def tel_links(self) -> tuple[str, ...]:
        return tuple(
            "tel:" + "".join(ch for ch in p if ch.isdigit() or ch == "+") for p in self.phones
        )


@dataclass(frozen=True)
class Citation:
    id: str  # doc id
    title: str
    url: str
    law: str
    heading: str
    quote: str
    legal: tuple[Legal, ...] = ()  # law articles; `url` is the readable page

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "law": self.law,
            "heading": self.heading,
            "quote": self.quote,
            "legal": [{"label": item.label, "url": item.url} for item in self.legal],
        }


@dataclass(frozen=True)
class Choice:
    """A button under an answer: a card to open ("Bedoel je...?", the guided start) or an
    action such as asking for the postcode."""

    id: str  # card id, or "ask:postcode"
    label: str


@dataclass
class Answer:
    """What the widget, the CLI and the eval runner get back for one message."""

    route: Route
    strategy: Strategy
    answer: str
    citations: list[Citation] = field(default_factory=list)
    crisis_kind: CrisisKind | None = None
    contacts: list[Contact] = field(default_factory=list)
    latency_ms: float = 0.0
    low_confidence: bool = False
    retrieved: list[ScoredChunk] = field(default_factory=list)
    concern: bool = False  # human contacts were added above the answer
    concern_text: str = ""  # that line (the answer text starts with it)
    choices: list[Choice] = field(default_factory=list)  # buttons: "Bedoel je...?" and others
    card_id: str = ""  # the card shown (strategy card/faq)

    def to_json(self) -> dict[str, Any]:
        return {
            "route": self.route.value,
            "strategy": self.strategy.value,
            "answer": self.answer,
            "citations": [c.to_json() for c in self.citations],
            "crisis_kind": self.crisis_kind.value if self.crisis_kind else None,
            "contacts": [
                {"name": c.name, "phones": list(c.phones), "hours": c.hours, "url": c.url}
                for c in self.contacts
            ],
            "latency_ms": round(self.latency_ms, 1),
            "low_confidence": self.low_confidence,
            "concern": self.concern,
            "choices": [{"id": c.id, "label": c.label} for c in self.choices],
            "card_id": self.card_id,
        }


@dataclass(frozen=True)
class Entity:
    """A PII span found in the raw text. The raw value never leaves the guardrails."""

    type: (
        str  # NAAM, BSN, IBAN, TELEFOON, EMAIL, POSTCODE, ADRES, GEBOORTEDATUM, DOSSIERNUMMER, ...
    )
    start: int
    end: int


@dataclass(frozen=True)
class Verdict:
    route: Route
    redacted_text: str
    entities: tuple[Entity, ...] = ()
    crisis_kind: CrisisKind | None = None
    injection: bool = False
    postcode4: str | None = None  # the 4 digits of a postcode, for the local lookup only
    reasons: tuple[str, ...] = ()  # rule ids that fired, for evaluators (never raw text)
    # Distress or risk below the crisis threshold: the normal answer plus human contacts.
    concern: bool = False
    concern_kind: CrisisKind | None = None  # the kind the risk leans to, if any
