"""Run ingest here, or, when the chat app holds the embedded store's folder, ask the app to run it.

The embedded store (Qdrant Edge) allows one process per folder (an OS file lock). The running
app writes a random token to `<data_dir>/admin.token` (mode 600) and accepts
`POST /wegwijs/admin/ingest` with it on loopback.
With a Qdrant server and PostgreSQL (the deploy job) the run waits for the ingest lock, so two
jobs, or a job and an app that ingests, never write the same points at once.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from ingest.pipeline import Progress
from wegwijs.config import Settings
from wegwijs.container import Container
from wegwijs.database import INGEST_LOCK, advisory_lock, is_server, make_engine
from wegwijs.vectorstore import StoreLockedError

INGEST_PATH = "/wegwijs/admin/ingest"
log = logging.getLogger("wegwijs.ingest")


def token_path(settings: Settings) -> Path:
    return settings.data_path / "admin.token"


def write_token(settings: Settings) -> str:
    token = secrets.token_urlsafe(32)
    path = token_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(token, encoding="utf-8")
    return token


def run_ingest(
    settings: Settings, rebuild: bool = False, progress: Progress | None = None
) -> tuple[dict[str, Any], list[str]]:
    container = Container(settings)
    try:
        container.store  # noqa: B018 - opening the store is the lock check
    except StoreLockedError:
        return ask_running_app(settings, rebuild)
    try:
        with ingest_turn(settings):
            report = container.ingest_pipeline.run(container.load_corpus(), rebuild, progress)
    finally:
        container.close()
    return report.to_json(), [str(p) for p in report.problems]


@contextmanager
def ingest_turn(settings: Settings) -> Iterator[None]:
    """Wait for the shared index's ingest lock (a Qdrant server and PostgreSQL), else go on."""
    if settings.vector_store.mode != "server" or not is_server(settings.database_url):
        yield
        return
    engine = make_engine(settings.database_url)
    try:
        log.info("ingest: waiting for the ingest lock (another ingest may be running)")
        with advisory_lock(engine, INGEST_LOCK, wait=True):
            yield
    finally:
        engine.dispose()


def ask_running_app(settings: Settings, rebuild: bool) -> tuple[dict[str, Any], list[str]]:
    path = token_path(settings)
    if not path.exists():
        raise SystemExit(
            f"The store folder {settings.edge_path} is locked by another process, and no "
            f"running Wegwijs app token was found at {path}. Stop the other process and retry."
        )
    url = f"http://{settings.ui.host}:{settings.ui.port}{INGEST_PATH}"
    try:
        response = httpx.post(
            url,
            params={"rebuild": str(rebuild).lower()},
            headers={"X-Wegwijs-Token": path.read_text(encoding="utf-8").strip()},
            timeout=httpx.Timeout(600.0, connect=3.0),
        )
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise SystemExit(
            f"The store folder is held by the running app, but {url} did not answer ({exc}). "
            "Check WEGWIJS_UI__PORT, or stop the app and run the ingest again."
        ) from exc
    data = response.json()
    return data["report"], list(data["problems"])
