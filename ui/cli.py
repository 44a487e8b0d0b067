"""`wegwijs serve`: start the chat widget (Chainlit) on the configured host and port."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from wegwijs.config import load_settings


def serve_command(
    host: Annotated[str | None, typer.Option(help="Default: WEGWIJS_UI__HOST")] = None,
    port: Annotated[int | None, typer.Option(help="Default: WEGWIJS_UI__PORT")] = None,
) -> None:
    """Start the chat on http://HOST:PORT (default 127.0.0.1:8000)."""
    from ui.runtime import ui_dir

    settings = load_settings()
    target = ui_dir() / "app.py"
    env = {
        **os.environ,
        "CHAINLIT_APP_ROOT": str(ui_dir()),
        "CHAINLIT_HOST": host or settings.ui.host,
        "CHAINLIT_PORT": str(port or settings.ui.port),
        "WEGWIJS_UI__PORT": str(port or settings.ui.port),
    }
    print(f"Wegwijs draait op http://{env['CHAINLIT_HOST']}:{env['CHAINLIT_PORT']}", flush=True)
    args = [sys.executable, "-m", "chainlit", "run", str(target), "--headless"]
    args += ["--host", env["CHAINLIT_HOST"], "--port", env["CHAINLIT_PORT"]]
    os.execve(sys.executable, args, env)
