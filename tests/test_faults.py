"""A fault in one part never silences the chat (issue 12): the guardrails failing to build, the
answer engine failing, the output check failing, the database gone, and start-up steps that fail.
In every case the user gets a Dutch reply, a crisis still gets its contacts, nothing raw is logged.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from guardrails.contacts import load_crisis_contacts
from guardrails.inspector import Guardrails
from tests.guardrails_support import RegexPiiRedactor
from tests.test_concern import EchoEngine, FixedClassifier
from tests.test_concern import stream_all as run
from ui.runtime import Runtime
from wegwijs.chat import ENGINE_FAULT_TEXT, ChatService
from wegwijs.config import OrganisationSettings, Settings, StoreSettings
from wegwijs.contacts import LAST_RESORT_TEXT
from wegwijs.conversations import MemoryConversationStore
from wegwijs.domain import Route

CONTACTS_FILE = Path(__file__).parent / "data" / "contacts.yaml"
SECRET = "Jansen woont op de Ginnekenweg 12 en zijn BSN is 111222333"


class FailingEngine:
    def __init__(self, after_text: bool = False) -> None:
        self.after_text = after_text

    async def stream(self, request: Any) -> AsyncIterator[Any]:
        from assistant.engine import TextDelta

        if self.after_text:
            yield TextDelta("Een half antwoord. ")
        raise RuntimeError("vector store unreadable")


class GoneStore(MemoryConversationStore):
    def record(self, exchange: Any) -> None:
        raise OSError("database file gone")


def guards(**scores: Any) -> Guardrails:
    settings = Settings(organisation=OrganisationSettings(name="Steunpunt"))
    return Guardrails(
        settings,
        RegexPiiRedactor(),
        None,
        load_crisis_contacts(CONTACTS_FILE),
        classifier=FixedClassifier(**scores),  # type: ignore[arg-type]
    )


def chat_with(guardrails: Any, engine: Any = None, store: Any = None) -> ChatService:
    store = store or MemoryConversationStore()
    return ChatService(
        guardrails,
        lambda: engine or EchoEngine(),
        lambda: store,
        lambda *_: None,  # type: ignore[arg-type,return-value]
    )


def test_guardrails_that_cannot_be_built_give_the_last_resort_reply(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken() -> Guardrails:
        raise RuntimeError(f"model file unreadable while reading {SECRET}")

    caplog.set_level(logging.DEBUG)
    parts, result = run(chat_with(broken), f"ik wil niet meer leven. {SECRET}")
    assert result.answer.answer == LAST_RESORT_TEXT and parts == [LAST_RESORT_TEXT]
    assert {"113", "0800-0113", "112"} <= {p for c in result.answer.contacts for p in c.phones}
    assert result.redacted_question == ""  # nothing of the raw text flows on
    assert "111222333" not in caplog.text and "Ginnekenweg" not in caplog.text


@pytest.mark.parametrize("after_text", [False, True])
def test_an_engine_fault_gives_a_dutch_message(after_text: bool) -> None:
    parts, result = run(
        chat_with(guards(), FailingEngine(after_text)), "hoe vraag ik respijtzorg aan?"
    )
    assert result.answer.route is Route.answer and result.answer.answer == ENGINE_FAULT_TEXT
    assert parts[-1] == ENGINE_FAULT_TEXT


def test_a_crisis_needs_no_engine_and_no_database() -> None:
    chat = chat_with(guards(), FailingEngine(), GoneStore())
    result = run(chat, "ik wil niet meer leven")[1]
    assert result.answer.route is Route.crisis
    assert "113" in {p for c in result.answer.contacts for p in c.phones}


def test_concern_contacts_stay_when_the_engine_fails() -> None:
    chat = chat_with(guards(distress=0.9), FailingEngine())
    answer = run(chat, "ik ben op. hoe krijg ik respijtzorg?")[1].answer
    assert answer.concern and answer.answer.endswith(ENGINE_FAULT_TEXT)
    assert "113" in {p for c in answer.contacts for p in c.phones}


def test_a_failing_output_check_never_shows_the_unchecked_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    g = guards()

    def broken_check(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("PII engine crashed")

    monkeypatch.setattr(g, "check_output", broken_check)
    parts, result = run(chat_with(g), "hoe vraag ik respijtzorg aan?")
    assert result.answer.answer == ENGINE_FAULT_TEXT
    assert not any("Vraag respijtzorg aan" in p for p in parts)


def test_the_guardrails_run_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Long messages from many sessions must not stall the server: inspect runs in a thread."""
    g = guards()
    real = g.inspect
    loops: list[int] = []

    def inspect(text: str) -> Any:
        loops.append(threading.get_ident())
        return real(text)

    monkeypatch.setattr(g, "inspect", inspect)
    run(chat_with(g), "hoe vraag ik respijtzorg aan?")
    assert loops and loops[0] != threading.get_ident()


def _runtime(tmp_path: Path) -> Runtime:
    settings = Settings(data_dir=tmp_path, corpus_dir=tmp_path / "corpus", store=StoreSettings())
    (tmp_path / "corpus").mkdir()
    return Runtime(settings)


def test_start_up_steps_do_not_depend_on_each_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: a failing guardrails build (a bad contacts file) stopped start-up before the
    retention job and the corpus watcher were scheduled."""
    runtime = _runtime(tmp_path)

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("broken")

    monkeypatch.setattr("guardrails.factory.build_guardrails", fail)
    monkeypatch.setattr(runtime, "_ingest_sync", fail)

    async def go() -> tuple[bool, bool, dict[str, Any]]:
        await runtime.start()
        scheduled = runtime._retention is not None and not runtime._retention.done()
        watching = runtime._watcher is not None and not runtime._watcher.done()
        body = (await runtime.readiness())[1]
        await runtime.stop()
        return scheduled, watching, body

    scheduled, watching, body = asyncio.run(go())
    assert scheduled and watching
    assert set(runtime.startup_problems) == {"guardrails", "ingest"}
    assert body["ready"] is False and body["checks"]["guardrails"] is False
    assert any("guardrails" in w for w in body["warnings"])


def test_readyz_names_a_broken_contacts_file(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    g = guards()
    g.contacts_problem = "contacts.yaml:3: bad; using the national crisis lines"
    runtime.container.override("guardrails", g)
    ready, body = asyncio.run(runtime.readiness())
    assert body["checks"]["guardrails"] is True
    assert any("contacts.yaml:3" in w for w in body["warnings"])
    assert ready is False and body["checks"]["index"] is False  # nothing ingested yet
