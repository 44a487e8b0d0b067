"""The concern level end to end: the normal answer with human contacts on top, streamed first,
in `ask --json`, and with the LLM, vector store and database all down."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guardrails.classifier import GuardScores
from guardrails.contacts import load_crisis_contacts
from guardrails.inspector import Guardrails
from tests.guardrails_support import RegexPiiRedactor
from wegwijs.chat import ChatResult, ChatService
from wegwijs.config import OrganisationSettings, Settings
from wegwijs.conversations import MemoryConversationStore
from wegwijs.domain import Answer, Route, Strategy

CONTACTS_FILE = Path(__file__).parent / "data" / "contacts.yaml"
THRESHOLDS = {"crisis": 0.8, "concern": 0.3, "distress": 0.6, "medical": 0.5, "scope": 0.5}


@dataclass
class FixedHeads:
    thresholds: dict[str, float]


class FixedClassifier:
    """A hand-written stand-in: the scores are set per test (the real heads are tested on the
    blind set)."""

    def __init__(self, **scores: Any) -> None:
        self.heads = FixedHeads(THRESHOLDS)
        self.scores = GuardScores(
            crisis=scores.get("crisis", 0.0),
            kind=scores.get("kind", "suicide"),
            medical=scores.get("medical", 0.0),
            scope=scores.get("scope", 0.0),
            distress=scores.get("distress", 0.0),
        )

    def score(self, text: str) -> GuardScores:
        return self.scores


class BrokenClassifier(FixedClassifier):
    def score(self, text: str) -> GuardScores:
        raise RuntimeError("model file unreadable")


class EchoEngine:
    async def stream(self, request: Any) -> AsyncIterator[Any]:
        from assistant.engine import FinalAnswer, TextDelta

        yield TextDelta("Vraag respijtzorg aan bij de gemeente. ")
        yield FinalAnswer(
            Answer(Route.answer, Strategy.extractive, "Vraag respijtzorg aan bij de gemeente.")
        )


def _chat(classifier: Any, phone: str = "") -> ChatService:
    settings = Settings(organisation=OrganisationSettings(name="Steunpunt", contact_phone=phone))
    guards = Guardrails(
        settings,
        RegexPiiRedactor(),
        None,
        load_crisis_contacts(CONTACTS_FILE),
        classifier=classifier,  # type: ignore[arg-type]
    )
    store = MemoryConversationStore()
    return ChatService(guards, lambda: EchoEngine(), lambda: store, lambda *_: None)  # type: ignore[arg-type,return-value]


def stream_all(chat: ChatService, text: str) -> tuple[list[str], ChatResult]:
    """The streamed pieces of one message, and its ChatResult."""

    async def run() -> tuple[list[str], ChatResult]:
        parts: list[str] = []
        result = None
        async for event in chat.stream(text):
            if isinstance(event, ChatResult):
                result = event
            else:
                parts.append(event)
        assert result is not None
        return parts, result

    return asyncio.run(run())


def test_concern_puts_human_contacts_above_the_normal_answer() -> None:
    chat = _chat(FixedClassifier(distress=0.9), phone="076-5201234")
    parts, result = stream_all(chat, "ik ben op, niemand helpt. hoe krijg ik respijtzorg?")
    answer = result.answer
    assert answer.route is Route.answer and answer.concern
    assert parts[0].startswith("**Het klinkt alsof het zwaar is.**")  # streamed first
    assert answer.answer.startswith("**Het klinkt alsof het zwaar is.**")
    assert answer.answer.endswith("Vraag respijtzorg aan bij de gemeente.")
    phones = [p for c in answer.contacts for p in c.phones]
    assert phones[:2] == ["113", "0800-0113"] and "088-0767 000" in phones
    assert "076-5201234" in phones  # the organisation's own number
    assert answer.to_json()["concern"] is True and answer.to_json()["contacts"]


def test_concern_leaning_to_violence_shows_veilig_thuis() -> None:
    chat = _chat(FixedClassifier(crisis=0.5, kind="violence"))
    answer = stream_all(chat, "hij wordt soms handtastelijk, waar vraag ik hulp")[1].answer
    assert answer.concern and answer.route is Route.answer
    assert answer.contacts[0].phones[0] == "0800-2000"


def test_no_concern_no_contacts() -> None:
    answer = stream_all(_chat(FixedClassifier()), "wie betaalt de rolstoel?")[1].answer
    assert not answer.concern and answer.contacts == []
    assert answer.answer == "Vraag respijtzorg aan bij de gemeente."


def test_concern_also_above_a_medical_refusal() -> None:
    chat = _chat(FixedClassifier(distress=0.9, medical=0.9))
    answer = stream_all(chat, "ik kan niet meer. hoeveel slaappillen mag mijn moeder?")[1].answer
    assert answer.route is Route.medical_refusal and answer.concern
    assert "huisarts" in answer.answer and any("113" in c.phones for c in answer.contacts)


def test_a_broken_classifier_never_silences_the_crisis_rules() -> None:
    chat = _chat(BrokenClassifier())
    answer = stream_all(chat, "ik wil dood")[1].answer
    assert answer.route is Route.crisis and any("113" in c.phones for c in answer.contacts)
    assert stream_all(chat, "wie betaalt de rolstoel?")[1].answer.route is Route.answer
