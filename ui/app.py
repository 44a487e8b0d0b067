"""The Chainlit chat widget for mantelzorgers. Start it with `wegwijs serve`."""

from __future__ import annotations

import asyncio
import logging
import uuid
from functools import cache
from typing import Any

import chainlit as cl
from chainlit.config import config as chainlit_config
from chainlit.data.base import BaseDataLayer
from chainlit.server import sio

from assistant.base import Turn
from ui import routes
from ui.origins import socket_origin_check
from ui.ratelimit import SlidingWindowLimit, client_address
from ui.render import (
    actions_for,
    concern_card_props,
    crisis_card_props,
    render_answer,
    widget_text,
)
from ui.runtime import get_runtime
from ui.texts import text
from wegwijs.chat import ChatResult
from wegwijs.contacts import LAST_RESORT_TEXT
from wegwijs.domain import Route

log = logging.getLogger("wegwijs.ui")
HISTORY_TURNS = 6


def apply_embed_allowlist(origins: list[str], public_url: str = "") -> None:
    """Only the sites in `ui.embed_allowlist` may embed the widget (empty: any site).

    Runs at import, before Chainlit builds its CORS middleware from this same list object.
    """
    if origins:
        chainlit_config.project.allow_origins[:] = [o.rstrip("/") for o in origins]
        own = [public_url] if public_url else []
        sio.eio.cors_allowed_origins = socket_origin_check(origins + own)  # the websocket too


apply_embed_allowlist(
    get_runtime().settings.ui.embed_allowlist, get_runtime().settings.ui.public_url
)
routes.install_guard()  # the coordinator pages keep out of that CORS policy


@cl.data_layer
def data_layer() -> BaseDataLayer:
    """Feedback only, redacted; see ui/data_layer.py."""
    return get_runtime().data_layer


@cl.on_app_startup
async def startup() -> None:
    routes.install()
    await get_runtime().start()


@cl.on_app_shutdown
async def shutdown() -> None:
    await get_runtime().stop()


@cl.set_starters
async def starters(user: Any = None, language: str | None = None) -> list[cl.Starter]:
    questions = get_runtime().container.starter_questions(4)
    return [cl.Starter(label=q, message=q) for q in questions]


@cl.on_chat_start
async def start() -> None:
    cl.user_session.set("history", [])
    cl.user_session.set("postcode4", None)
    # Our own id for the stored exchanges: the client's thread id is never stored.
    cl.user_session.set("conversation_id", uuid.uuid4().hex)
    erase = cl.Action(name="erase", payload={}, label=text("erase_button"))
    await cl.Message(content=text("welcome"), actions=[erase]).send()


@cl.action_callback("erase")
async def on_erase(action: cl.Action) -> None:
    """The visitor wipes what was stored of this conversation; what follows is a new one."""
    conversation_id = cl.user_session.get("conversation_id") or ""
    store = get_runtime().container.conversations
    await asyncio.to_thread(store.erase, conversation_id)
    cl.user_session.set("conversation_id", uuid.uuid4().hex)
    cl.user_session.set("history", [])
    await cl.Message(content=text("erased")).send()


@cl.on_message
async def on_message(message: cl.Message) -> None:
    await answer_guarded(message.content)


@sio.on("edit_message")  # replaces Chainlit's: editing is switched off
async def refuse_edit(sid: str, payload: Any) -> None:
    log.info("edit_message refused (editing is switched off)")


class InlineCard(cl.CustomElement):
    """A custom element whose props travel inside the element message only. Chainlit would also
    write them to a file in the session's folder (ui/.files/) for up to an hour: for a crisis
    card that is a trace of someone's crisis on disk. The widget renders a custom element from
    its props; the key only satisfies Chainlit's check that an element has a source."""

    async def _create(self, persist: bool = True) -> bool:
        self.chainlit_key = self.chainlit_key or self.id
        self.persisted = True
        return True


@cache
def message_limit() -> SlidingWindowLimit:
    return SlidingWindowLimit(get_runtime().settings.ui.messages_per_minute)


async def answer_guarded(content: str, card_id: str | None = None) -> None:
    """One message at a time per session, a per-address rate limit, and never a silent chat:
    any fault gives the Dutch last-resort text with the crisis lines (never an error text)."""
    header = get_runtime().settings.ui.client_ip_header
    if not message_limit().allow(client_address(cl.context.session.environ, header)):
        await cl.Message(content=text("slow_down")).send()  # every message counts
        return
    if cl.user_session.get("busy"):
        await cl.Message(content=text("busy")).send()
        return
    cl.user_session.set("busy", True)
    try:
        await answer_message(content, card_id)
    except Exception as exc:  # noqa: BLE001 - no traceback: it could hold the raw text
        log.error("message failed (%s); last-resort reply", type(exc).__name__)
        await cl.Message(content=LAST_RESORT_TEXT).send()
    finally:
        cl.user_session.set("busy", False)
        cl.chat_context.clear()  # the raw messages are not kept in memory between messages


@cl.action_callback("card")
async def on_card(action: cl.Action) -> None:
    """A "Bedoel je...?" or guided-start button: show that card (its question as the text)."""
    await cl.Message(
        content=str(action.payload.get("label", "")), author="Jij", type="user_message"
    ).send()
    await answer_guarded(str(action.payload.get("label", "")), card_id=str(action.payload["id"]))


@cl.action_callback("place")
async def on_place(action: cl.Action) -> None:
    """Ask for the postcode or town, then show the same card with the local next step."""
    reply = await cl.AskUserMessage(content=text("ask_place"), timeout=600).send()
    if reply and reply.get("output"):
        await answer_guarded(str(reply["output"]), card_id=str(action.payload.get("card") or ""))


async def answer_message(content: str, card_id: str | None = None) -> None:
    runtime = get_runtime()
    history: list[Turn] = cl.user_session.get("history") or []
    reply = cl.Message(content="")
    result: ChatResult | None = None
    async for event in runtime.chat.stream(
        content,
        postcode4=cl.user_session.get("postcode4"),
        history=tuple(history[-HISTORY_TURNS:]),
        conversation_id=cl.user_session.get("conversation_id") or "",
        card_id=card_id or None,
    ):
        if isinstance(event, ChatResult):
            result = event
        else:
            await reply.stream_token(widget_text(event))  # sanitised while streaming too
    if result is None:
        return
    cl.user_session.set("postcode4", result.postcode4)
    answer = result.answer
    if answer.route is Route.crisis:
        card = InlineCard(name="CrisisCard", props=crisis_card_props(answer))
        reply.content = widget_text(answer.answer)
        reply.elements = [card]  # type: ignore[list-item]
    else:
        reply.content, reply.elements = render_answer(answer)
        reply.actions = actions_for(answer)
        if answer.concern:
            box = InlineCard(name="CrisisCard", props=concern_card_props(answer))
            reply.elements = [box, *reply.elements]  # type: ignore[list-item]
    await reply.send()  # also ends a stream; sends the source elements
    # The widget may attach feedback to the message or to the run step around it.
    run = cl.context.current_step
    for step_id in {reply.id, reply.parent_id, run.id if run else None} - {None}:
        await get_runtime().data_layer.link(str(step_id), result.exchange_id)
    history += [Turn("user", result.redacted_question), Turn("assistant", answer.answer)]
    cl.user_session.set("history", history)
