"""Fuzz tests (Hypothesis) over the message path and the corpus loaders (issue 12).

Random Unicode, control characters, huge and empty inputs never raise out of the handler or a
loader, and a PII literal placed in random text never comes out raw.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrails.contacts import crisis_contacts
from ingest.corpus import load_corpus
from ingest.providers import parse_providers_csv
from tests.test_concern import EchoEngine
from wegwijs.chat import ChatResult, ChatService
from wegwijs.conversations import MemoryConversationStore

# Any code point except surrogates (not encodable), including controls, RTL marks, NUL.
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=400)
HUGE = st.integers(min_value=4_000, max_value=40_000).map(
    lambda n: "ik zorg voor mijn moeder " * (n // 25)
)
PII = st.sampled_from(["111222333", "jan.devries@example.nl", "06 12345678", "NL91ABNA0417164300"])
FUZZ = settings(
    max_examples=int(os.environ.get("WEGWIJS_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def run(chat: ChatService, text: str) -> ChatResult:
    return asyncio.run(chat.handle(text))


@pytest.fixture(scope="module")
def chat(real_guards: Any) -> tuple[ChatService, MemoryConversationStore]:
    store = MemoryConversationStore()
    service = ChatService(real_guards, lambda: EchoEngine(), lambda: store, lambda *_: None)  # type: ignore[arg-type,return-value]
    return service, store


@FUZZ
@given(text=st.one_of(ANY_TEXT, HUGE, st.just(""), st.just("\x00" * 50)))
def test_the_message_path_answers_anything(chat: Any, text: str) -> None:
    result = run(chat[0], text)
    assert result.answer.answer.strip()  # always a reply, never an exception


def _no_number_next_to_it(text: str, end: bool) -> str:
    """Digits, "+", brackets and separators a space away from a number can make one longer
    number ("1 06 12345678", "+ 06 12345678" may be one number): ambiguous, so the random text
    next to the literal ends (or starts) with something else."""

    def joins(ch: str) -> bool:
        return ch.isdigit() or ch.isspace() or ch in "+-().,/"

    while text and joins(text[-1] if end else text[0]):
        text = text[:-1] if end else text[1:]
    return text


BEFORE = ANY_TEXT.map(lambda t: _no_number_next_to_it(t, end=True))
AFTER = ANY_TEXT.map(lambda t: _no_number_next_to_it(t, end=False))


@FUZZ
@given(before=BEFORE, literal=PII, after=AFTER)
def test_pii_in_random_text_never_comes_out_raw(
    chat: Any, caplog: pytest.LogCaptureFixture, before: str, literal: str, after: str
) -> None:
    caplog.set_level(logging.DEBUG)
    service, store = chat
    seen = len(store.exchanges())
    result = run(service, f"{before} {literal} {after}")
    assert literal not in result.redacted_question
    assert literal not in result.answer.answer
    assert all(literal not in e.question for e in store.exchanges()[seen:])
    assert literal not in caplog.text


@FUZZ
@given(content=st.one_of(ANY_TEXT, st.binary(max_size=300)))
def test_a_random_contacts_file_still_gives_the_crisis_lines(content: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "contacts.yaml"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        loaded = crisis_contacts(path)
    for situation in ("suicide", "violence", "emergency"):
        assert any(c.phones and situation in c.situations for c in loaded.contacts), situation


@FUZZ
@given(faq=ANY_TEXT, doc=ANY_TEXT, csv=ANY_TEXT)
def test_random_corpus_files_give_problems_not_exceptions(faq: str, doc: str, csv: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for sub in ("docs", "faq", "cards", "gemeenten", "providers"):
            (root / sub).mkdir()
        (root / "faq" / "faq-fuzz.yaml").write_text(faq, encoding="utf-8")
        (root / "docs" / "fuzz.md").write_text(doc, encoding="utf-8")
        corpus = load_corpus(root)
        loaded_or_reported = {c.path for c in corpus.cards} | {p.path for p in corpus.problems}
        assert any("faq-fuzz.yaml" in path for path in loaded_or_reported)
    parse_providers_csv(csv, "providers/fuzz.csv")  # problems, never an exception
