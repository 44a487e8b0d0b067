"""The widget's message handler (ui/app.py) in a Chainlit context, without a browser (issue 12,
finding 7): the stored conversation id is ours, not the client's thread id; the raw messages do
not stay in Chainlit's chat context; a second message while one is answered gets "busy"."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import chainlit as cl
from chainlit.context import init_http_context

from tests.test_faults import chat_with, guards
from ui.runtime import Runtime, set_runtime, ui_dir
from wegwijs.config import Settings, VectorStoreSettings
from wegwijs.conversations import MemoryConversationStore

os.environ.setdefault("CHAINLIT_APP_ROOT", str(ui_dir()))
import ui.app as widget  # after CHAINLIT_APP_ROOT is set

CLIENT_THREAD = "thread-jan.devries@example.nl-111222333"  # chosen by the client


def test_our_conversation_id_no_raw_messages_kept_and_one_message_at_a_time(
    tmp_path: Path,
) -> None:
    (tmp_path / "corpus").mkdir()
    settings = Settings(
        data_dir=tmp_path / "data",
        corpus_dir=tmp_path / "corpus",
        vector_store=VectorStoreSettings(mode="memory"),
    )
    runtime = Runtime(settings)
    store = MemoryConversationStore()
    runtime.container.override("conversations", store)
    runtime.container.override("chat", chat_with(guards(), store=store))
    set_runtime(runtime)

    async def go() -> tuple[list[object], list[str], str]:
        init_http_context(thread_id=CLIENT_THREAD)
        await widget.start()
        await widget.answer_guarded("hoe vraag ik respijtzorg aan?")
        kept = list(cl.chat_context.get())
        cl.user_session.set("busy", True)  # an answer is still being made
        await widget.answer_guarded("en hoe zit het met de wmo?")
        shown = [m.content for m in cl.chat_context.get()]
        return kept, shown, str(cl.user_session.get("conversation_id"))

    try:
        kept, shown, conversation = asyncio.run(go())
    finally:
        set_runtime(None)
    assert kept == []  # before: every raw message stayed in memory for the whole session
    assert any("nog bezig met je vorige vraag" in text for text in shown)
    stored = store.exchanges()
    assert len(stored) == 1  # the busy message was not answered
    assert stored[0].conversation_id == conversation and conversation != CLIENT_THREAD
    assert "example.nl" not in conversation and len(conversation) == 32
