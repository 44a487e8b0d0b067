"""A minimal Chainlit data layer: it stores feedback (redacted) and nothing else.

Chainlit shows the thumbs up/down buttons only when a data layer is configured. Its own data
layers would store every step, including the RAW user message; ours keeps no steps, threads or
elements at all. The exchange itself is already stored, redacted, by `ChatService`; this layer
only links a widget message to that exchange and writes the feedback to our ConversationStore.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any

from chainlit.data.base import BaseDataLayer
from chainlit.types import Feedback, PageInfo, PaginatedResponse

from wegwijs.conversations import ConversationStore
from wegwijs.conversations import Feedback as StoredFeedback
from wegwijs.domain import Route, Verdict

log = logging.getLogger("wegwijs.ui")
CRISIS_SIGNAL = "[crisissignaal: {kind}] "  # marks a comment on the coordinator's insight page


def comment_for_store(verdict: Verdict) -> str:
    """The redacted comment, marked when it carries a crisis or concern signal: nobody replies
    to a comment, so the coordinator must see it."""
    if verdict.route is Route.crisis and verdict.crisis_kind is not None:
        return CRISIS_SIGNAL.format(kind=verdict.crisis_kind.value) + verdict.redacted_text
    if verdict.concern:
        return CRISIS_SIGNAL.format(kind="zorgen") + verdict.redacted_text
    return verdict.redacted_text


class WegwijsDataLayer(BaseDataLayer):
    def __init__(
        self, store: Callable[[], ConversationStore], inspect: Callable[[str], Verdict]
    ) -> None:
        self._store = store
        self._inspect = inspect

    async def link(self, message_id: str, exchange_id: str) -> None:
        """Remember which stored exchange a widget message shows (in the store, so every app
        replica finds it)."""
        try:
            await asyncio.to_thread(self._store().link, message_id, exchange_id)
        except Exception:  # a database outage costs the feedback link, never the reply
            log.exception("conversation store unavailable; feedback link not stored")

    async def upsert_feedback(self, feedback: Feedback) -> str:
        exchange_id = await asyncio.to_thread(self._store().exchange_for, feedback.forId)
        if exchange_id is None:
            log.warning("feedback for an unknown message")
            raise ValueError("onbekend bericht: feedback kan niet worden opgeslagen")
        comment = ""
        if feedback.comment:
            verdict = await asyncio.to_thread(self._inspect, feedback.comment)
            comment = comment_for_store(verdict)
            if comment.startswith("[crisissignaal"):
                kind = verdict.crisis_kind.value if verdict.crisis_kind else "zorgen"
                log.warning("crisis signal in a feedback comment: kind=%s", kind)
        stored = StoredFeedback(exchange_id=exchange_id, value=int(feedback.value), comment=comment)
        await asyncio.to_thread(self._store().add_feedback, stored)  # replaces an earlier one
        return feedback.id or uuid.uuid4().hex

    async def delete_feedback(self, feedback_id: str) -> bool:
        return True  # feedback is anonymous and append-only; retention deletes it

    # Nothing below is stored: no users, threads, steps or elements (they could hold raw text).
    async def get_user(self, identifier: str) -> Any:
        return None

    async def create_user(self, user: Any) -> Any:
        return None

    async def create_element(self, element: Any) -> None:
        return None

    async def get_element(self, thread_id: str, element_id: str) -> Any:
        return None

    async def delete_element(self, element_id: str, thread_id: str | None = None) -> None:
        return None

    async def create_step(self, step_dict: Any) -> None:
        return None

    async def update_step(self, step_dict: Any) -> None:
        return None

    async def delete_step(self, step_id: str) -> None:
        return None

    async def get_thread_author(self, thread_id: str) -> str:
        return ""

    async def delete_thread(self, thread_id: str) -> None:
        return None

    async def list_threads(self, pagination: Any, filters: Any) -> PaginatedResponse[Any]:
        return PaginatedResponse(
            pageInfo=PageInfo(hasNextPage=False, startCursor=None, endCursor=None), data=[]
        )

    async def get_thread(self, thread_id: str) -> Any:
        return None

    async def update_thread(
        self,
        thread_id: str,
        name: str | None = None,
        user_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
    ) -> None:
        return None

    async def build_debug_url(self) -> str:
        return ""

    async def close(self) -> None:
        return None

    async def get_favorite_steps(self, user_id: str) -> list[Any]:
        return []
