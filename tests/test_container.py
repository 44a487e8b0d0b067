"""The composition root's documented test hook: `container.override(name, value)`."""

from __future__ import annotations

from pathlib import Path

import pytest

from wegwijs.config import Settings
from wegwijs.container import Container
from wegwijs.conversations import MemoryConversationStore
from wegwijs.sparse import DutchSparseEncoder


def test_override_serves_the_value_and_a_with_block_restores_what_was_there(
    tmp_path: Path,
) -> None:
    container = Container(Settings(data_dir=tmp_path, store={"database_url": "memory"}))
    built = container.sparse
    mine = DutchSparseEncoder()
    with container.override("sparse", mine):
        assert container.sparse is mine
    assert container.sparse is built  # the service built before comes back

    store = MemoryConversationStore()
    with container.override("conversations", store):
        assert container.conversations is store
    assert container.conversations is not store  # never built before: built fresh afterwards

    container.override("sparse", mine)  # alone: for the container's life
    assert container.sparse is mine


def test_override_refuses_a_name_that_is_no_service(tmp_path: Path) -> None:
    container = Container(Settings(data_dir=tmp_path))
    with pytest.raises(AttributeError, match="no service 'embeder'"):
        container.override("embeder", object())
    with pytest.raises(AttributeError, match="no service 'settings'"):
        container.override("settings", object())


def test_runtime_stop_closes_the_pooled_http_client(tmp_path: Path) -> None:
    """Stopping the app closes the one HTTP client in its own loop (not a task left behind)."""
    import asyncio

    from ui.runtime import Runtime

    runtime = Runtime(Settings(data_dir=tmp_path, store={"database_url": "memory"}))
    client = runtime.container.http

    async def stop_and_look() -> bool:
        await runtime.stop()
        return client.is_closed  # closed when stop() returns, in the loop that used it

    assert asyncio.run(stop_and_look())
    assert "http" not in runtime.container.__dict__
