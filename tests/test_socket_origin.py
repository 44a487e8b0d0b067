"""The chat's websocket checks the Origin against the embed allowlist (issue 12, finding 3).

Before: Chainlit switches engine.io's origin check off, so a page on any site could open the
websocket. Tested with a real Socket.IO server (uvicorn on loopback) and client.
"""

from __future__ import annotations

import asyncio
import socket

import pytest
import socketio
import uvicorn

from ui.origins import socket_origin_check

ALLOWED = "https://www.example-zorgorganisatie.nl"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def connects(port: int, origin: str | None) -> bool:
    client = socketio.AsyncClient()
    headers = {"Origin": origin} if origin else {}
    try:
        await client.connect(f"http://127.0.0.1:{port}", headers=headers, transports=["websocket"])
    except socketio.exceptions.ConnectionError:
        return False
    await client.disconnect()
    return True


@pytest.mark.parametrize("policy", ["before", "after"])
def test_only_allowlisted_sites_and_the_app_itself_open_the_websocket(policy: str) -> None:
    server = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins=[])  # as Chainlit does
    if policy == "after":
        server.eio.cors_allowed_origins = socket_origin_check([ALLOWED + "/"])
    port = free_port()
    config = uvicorn.Config(
        socketio.ASGIApp(server), host="127.0.0.1", port=port, log_level="error"
    )
    web = uvicorn.Server(config)

    async def run() -> dict[str, bool]:
        task = asyncio.create_task(web.serve())
        while not web.started:
            await asyncio.sleep(0.05)
        try:
            return {
                "allowlisted": await connects(port, ALLOWED),
                "own page": await connects(port, f"http://127.0.0.1:{port}"),
                "no origin (not a browser)": await connects(port, None),
                "other site": await connects(port, "https://evil.example"),
            }
        finally:
            web.should_exit = True
            await task

    result = asyncio.run(run())
    assert result["allowlisted"] and result["own page"] and result["no origin (not a browser)"]
    if policy == "before":
        assert result["other site"]  # the finding, reproduced with Chainlit's own setting
    else:
        assert not result["other site"]
