"""The Chainlit chat widget for mantelzorgers. Start it with `wegwijs serve`."""

from __future__ import annotations

from typing import Any

import chainlit as cl
from chainlit.config import config as chainlit_config
from chainlit.data.base import BaseDataLayer

from assistant.base import Turn
from ui import routes
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
from wegwijs.domain import Route

HISTORY_TURNS = 6


def apply_embed_allowlist(origins: list[str]) -> None:
    """Only the sites in `ui.embed_allowlist` may embed the widget (empty: any site).

    Runs at import, before Chainlit builds its CORS middleware from this same list object.
    """
    if origins:
        chainlit_config.project.allow_origins[:] = [o.rstrip("/") for o in origins]


apply_embed_allowlist(get_runtime().settings.ui.embed_allowlist)
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
    await cl.Message(content=text("welcome")).send()


@cl.on_message
async def on_message(message: cl.Message) -> None:
    await answer_message(message.content)


@cl.action_callback("card")
async def on_card(action: cl.Action) -> None:
    """A "Bedoel je...?" or guided-start button: show that card (its question as the text)."""
    await cl.Message(
        content=str(action.payload.get("label", "")), author="Jij", type="user_message"
    ).send()
    await answer_message(str(action.payload.get("label", "")), card_id=str(action.payload["id"]))


@cl.action_callback("place")
async def on_place(action: cl.Action) -> None:
    """Ask for the postcode or town, then show the same card with the local next step."""
    reply = await cl.AskUserMessage(content=text("ask_place"), timeout=600).send()
    if reply and reply.get("output"):
        await answer_message(str(reply["output"]), card_id=str(action.payload.get("card") or ""))


async def answer_message(content: str, card_id: str | None = None) -> None:
    runtime = get_runtime()
    history: list[Turn] = cl.user_session.get("history") or []
    reply = cl.Message(content="")
    result: ChatResult | None = None
    async for event in runtime.chat.stream(
        content,
        postcode4=cl.user_session.get("postcode4"),
        history=tuple(history[-HISTORY_TURNS:]),
        conversation_id=cl.context.session.thread_id,
        card_id=card_id or None,
    ):
        if isinstance(event, ChatResult):
            result = event
        else:
            await reply.stream_token(event)
    if result is None:
        return
    cl.user_session.set("postcode4", result.postcode4)
    answer = result.answer
    if answer.route is Route.crisis:
        card = cl.CustomElement(name="CrisisCard", props=crisis_card_props(answer))
        reply.content = widget_text(answer.answer)
        reply.elements = [card]  # type: ignore[list-item]
    else:
        reply.content, reply.elements = render_answer(answer)
        reply.actions = actions_for(answer)
        if answer.concern:
            box = cl.CustomElement(name="CrisisCard", props=concern_card_props(answer))
            reply.elements = [box, *reply.elements]  # type: ignore[list-item]
    await reply.send()  # also ends a stream; sends the source elements
    # The widget may attach feedback to the message or to the run step around it.
    run = cl.context.current_step
    for step_id in {reply.id, reply.parent_id, run.id if run else None} - {None}:
        get_runtime().data_layer.link(str(step_id), result.exchange_id)
    history += [Turn("user", result.redacted_question), Turn("assistant", answer.answer)]
    cl.user_session.set("history", history)
