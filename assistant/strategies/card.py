"""Answer cards: a message matched to a card above the calibrated threshold gets the card's
answer verbatim (strategy "faq" for the organisation's approved cards, "card" for the Wegwijs
library), with its readable source and law articles, followed by the local next step.

Below the threshold the engine may offer the close cards as "Bedoel je...?" buttons
(`choices`), never a guess and never a stitched answer. A chosen button opens its card by id.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from assistant.base import AnswerRequest
from assistant.matching import CardMatcher, Decision, Ranked, decide
from assistant.strategies.no_answer import load_texts
from wegwijs.domain import (
    Answer,
    Card,
    Choice,
    Citation,
    GemeenteContacts,
    Law,
    LocalContact,
    Route,
    Strategy,
)

TEXTS_PATH = Path(__file__).resolve().parent.parent / "texts" / "cards.nl.yaml"
ASK_PLACE = "ask:place"
# Which of the gemeente's contacts an answer leads to, by what the answer says.
STEUNPUNT = re.compile(r"steunpunt|mantelzorgconsulent|respijt|mantelzorgwaardering", re.I)
CLIENTONDERSTEUNING = re.compile(r"cliëntondersteun|clientondersteun", re.I)
GEMEENTE = re.compile(r"\bgemeente|wmo-loket|wijkteam|jeugdteam|sociaal team", re.I)
LOCAL_LAWS = (Law.wmo, Law.jeugdwet)


def load_card_texts(path: Path = TEXTS_PATH) -> dict[str, Any]:
    return load_texts(path)


class CardStrategy:
    def __init__(
        self,
        matcher: CardMatcher,
        gemeenten: dict[str, GemeenteContacts],
        texts: dict[str, Any],
    ) -> None:
        self.matcher = matcher
        self.gemeenten = gemeenten
        self.texts = texts

    def decide(self, request: AnswerRequest) -> Decision:
        """Blocking (the embedding runs on the CPU); the engine calls it in a thread."""
        return decide(self.matcher.rank(request.question), self.matcher.scorer)

    def card(self, card_id: str) -> Card | None:
        return self.matcher.by_id.get(card_id)

    def show(self, card: Card, request: AnswerRequest, matched: Ranked | None = None) -> Answer:
        """The card verbatim, its sources, the local next step and its follow-up buttons."""
        paragraphs = [card.answer]
        citations = [card_citation(card)]
        choices = [
            Choice(item.id, label or item.question)
            for item, label in zip(
                (self.card(card_id) for card_id in card.next), card.next_labels, strict=True
            )
            if item is not None
        ]
        if self.leads_to_gemeente(card):
            local, contact_citations, ask = self.local_step(card, request.municipality)
            paragraphs.append(local)
            citations.extend(contact_citations)
            if ask:
                choices.append(Choice(ASK_PLACE, self.texts["local_ask_button"]))
        return Answer(
            route=Route.answer,
            strategy=Strategy.faq if card.approved else Strategy.card,
            answer="\n\n".join(paragraphs),
            citations=citations,
            choices=choices,
            card_id=card.id,
        )

    def offer(self, decision: Decision) -> Answer:
        """ "Bedoel je...?": the close cards as buttons."""
        return Answer(
            route=Route.answer,
            strategy=Strategy.none,
            answer=self.texts["choices_intro"],
            choices=[Choice(r.card.id, r.card.question) for r in decision.choices],
            low_confidence=True,
        )

    @staticmethod
    def leads_to_gemeente(card: Card) -> bool:
        return card.law in LOCAL_LAWS or bool(GEMEENTE.search(card.answer))

    def local_step(self, card: Card, municipality: str | None) -> tuple[str, list[Citation], bool]:
        """(text, citations of the contact's source, whether to ask for the place)."""
        t = self.texts
        if not municipality:
            return t["local_ask"], [], True
        role = (
            "clientondersteuning"
            if CLIENTONDERSTEUNING.search(card.answer)
            else "steunpunt_mantelzorg"
            if STEUNPUNT.search(card.answer)
            or card.topic in ("respijtzorg", "mantelzorgwaardering")
            else "wmo_loket"
        )
        contacts = self.gemeenten.get(municipality.lower())
        contact = contacts.get(role) if contacts else None
        if contact is None and contacts is not None and role != "wmo_loket":
            contact = contacts.get("wmo_loket")
        if contact is None:
            text = t["local_missing"].format(role=t["roles"][role], gemeente=municipality)
            return text, [], False
        line = t["local_line"].format(
            role=t["roles"][contact.role].capitalize(),
            name=contact.name,
            details=contact_details(contact, t),
        )
        intro = t["local_intro"].format(gemeente=contacts.gemeente if contacts else municipality)
        return f"{intro} {line}", [contact_citation(contact)], False


def contact_details(contact: LocalContact, texts: dict[str, Any]) -> str:
    parts = []
    if contact.phone:
        parts.append(texts["phone"].format(phone=contact.phone))
    if contact.hours:
        parts.append(texts["hours"].format(hours=contact.hours))
    if contact.url:
        parts.append(contact.url)
    return ", " + ", ".join(parts) if parts else ""


def card_citation(card: Card) -> Citation:
    """The card's readable page first; its law articles behind it."""
    read_more = card.read_more
    return Citation(
        id=card.id,
        title=read_more.title if read_more else card.question,
        url=read_more.url if read_more else (card.sources[0] if card.sources else ""),
        law=card.law.value,
        heading="",
        quote="",
        legal=card.legal,
    )


def contact_citation(contact: LocalContact) -> Citation:
    return Citation(
        id=f"gemeente:{contact.role}",
        title=contact.name,
        url=contact.url or contact.source,
        law="algemeen",
        heading="",
        quote="",
    )
