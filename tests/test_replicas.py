"""Two app replicas, one PostgreSQL (issue 11): the app keeps no state of its own.

Two real `wegwijs serve` processes on two ports, each with its own data dir (as two pods with
an emptyDir), share one throwaway PostgreSQL (tests/pg_server.py) for conversations, feedback,
message links, accounts and login counters. A visitor talks to replica A over the widget's own
Socket.IO protocol and sends feedback over its HTTP route; a coordinator signs in on B through
the login form (with its CSRF token) and sees it; feedback for A's answer sent through B is
accepted; an erase through B is gone for A. The corpus is two documents and two FAQ cards, so
each replica ingests in seconds.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from tests.test_socket_origin import free_port
from ui.coordinator.users import User
from ui.runtime import NO_SHARED_SESSION_KEY, Runtime
from wegwijs.config import Settings, StoreSettings, UiSettings

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "var" / "models" / "multilingual-e5-small"
FIXED_CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
KEEP = {"wmo-respijtzorg-logeeropvang.md", "wmo-huishoudelijke-hulp.md"}
KEEP_FAQ = {"faq-respijtzorg.yaml", "faq-huishoudelijke-hulp.yaml"}
USER, PASSWORD = "coordinator-replica", "een-lang-wachtwoord"
BASE = "/wegwijs/coordinator"
FIRST = "Wat is respijtzorg en hoe kan ik even vrij zijn van de zorg?"
SECOND = "Hoe krijg ik huishoudelijke hulp voor mijn vader?"
START_SECONDS = 600  # a safety net for a stuck start on a busy machine, not a measurement


@dataclass
class Replica:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def tiny_corpus(root: Path) -> Path:
    corpus = root / "corpus"
    shutil.copytree(FIXED_CORPUS, corpus)
    for path in (corpus / "docs").glob("*.md"):
        if path.name not in KEEP:
            path.unlink()
    for path in (corpus / "faq").glob("*.yaml"):
        if path.name not in KEEP_FAQ:
            path.unlink()
    return corpus


def replica_env(root: Path, name: str, corpus: Path, database: str, port: int) -> dict[str, str]:
    data = root / f"data-{name}"  # nothing on disk is shared between the replicas
    data.mkdir(exist_ok=True)
    return {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "WEGWIJS_PROFILE": "test",  # in-memory vector store, no LLM
        "WEGWIJS_DATA_DIR": str(data),
        "WEGWIJS_CORPUS_DIR": str(corpus),
        "WEGWIJS_EMBEDDING__MODEL_PATH": str(MODEL),
        "WEGWIJS_STORE__DATABASE_URL": database,
        "WEGWIJS_UI__HOST": "127.0.0.1",
        "WEGWIJS_UI__PORT": str(port),
        # what the deploy files give every replica from one secret
        "WEGWIJS_UI__SESSION_SECRET": "test-" + "s" * 40,
    }


def wait_until_ready(replicas: list[Replica]) -> None:
    waiting = {r.name: r for r in replicas}
    deadline = time.monotonic() + START_SECONDS
    while waiting:
        for name, replica in list(waiting.items()):
            if replica.process.poll() is not None:
                pytest.fail(f"replica {name} stopped:\n{replica.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{replica.url}/readyz", timeout=2).status_code == 200:
                    del waiting[name]
            except httpx.HTTPError:
                pass
        if waiting and time.monotonic() > deadline:
            logs = "\n".join(r.log.read_text()[-2000:] for r in waiting.values())
            pytest.fail(f"not ready: {sorted(waiting)}\n{logs}")
        time.sleep(0.5)


@pytest.fixture
def replicas(tmp_path: Path, postgres_url: str) -> Iterator[dict[str, Replica]]:
    if not (MODEL / "config.json").exists():
        pytest.fail(f"no embedding model at {MODEL}: run `make install`")
    corpus = tiny_corpus(tmp_path)
    ports = {"a": free_port(), "b": free_port()}
    envs = {n: replica_env(tmp_path, n, corpus, postgres_url, p) for n, p in ports.items()}
    subprocess.run(  # one account, made once, in the shared database
        [sys.executable, "-m", "wegwijs.cli", "user", "create", USER, "--role", "coordinator",
         "--password-stdin"],
        input=f"{PASSWORD}\n".encode(), env=envs["a"], cwd=tmp_path, check=True,
    )  # fmt: skip
    started: dict[str, Replica] = {}
    try:
        for name, port in ports.items():
            log = tmp_path / f"serve-{name}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [str(ROOT / ".venv" / "bin" / "wegwijs"), "serve"],
                    env=envs[name],
                    cwd=tmp_path,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            started[name] = Replica(name, f"http://127.0.0.1:{port}", process, log)
        wait_until_ready(list(started.values()))
        yield started
    finally:
        for replica in started.values():
            replica.process.terminate()
        for replica in started.values():
            try:
                replica.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                replica.process.kill()


class Visitor:
    """The widget's side of Chainlit's Socket.IO protocol, as the browser speaks it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.thread = str(uuid.uuid4())
        self.session = str(uuid.uuid4())
        self.sio = socketio.AsyncClient()
        self.answers: dict[str, str] = {}  # assistant message id -> its text (last update)
        self.done = 0  # handled messages (Chainlit's task_end)
        for event in ("new_message", "update_message"):
            self.sio.on(event, self._record)
        self.sio.on("task_end", self._task_end)

    async def _record(self, step: dict[str, Any]) -> None:
        if step.get("type") == "assistant_message":
            self.answers[str(step["id"])] = str(step.get("output") or "")

    async def _task_end(self, *args: Any) -> None:
        self.done += 1

    async def connect(self) -> None:
        auth = {"sessionId": self.session, "clientType": "webapp", "threadId": self.thread}
        await self.sio.connect(
            self.url, socketio_path="/ws/socket.io", auth=auth, transports=["websocket"]
        )
        await self.sio.emit("connection_successful")
        await self.until(lambda: self.done >= 1)  # the welcome message (on_chat_start)

    async def ask(self, question: str) -> str:
        """Send a message; the id of the answer, once the handler has finished (the answer is
        linked to its stored exchange by then)."""
        before, done = set(self.answers), self.done
        step = {
            "id": str(uuid.uuid4()),
            "threadId": self.thread,
            "name": "User",
            "type": "user_message",
            "output": question,
            "createdAt": "2026-12-01T00:00:00Z",
        }
        await self.sio.emit("client_message", {"message": step, "fileReferences": []})
        await self.until(lambda: self.done > done)
        new = [i for i in self.answers if i not in before]
        assert new, self.answers
        return new[-1]

    async def until(self, condition: Any) -> None:
        deadline = time.monotonic() + 120  # a safety net, not a measurement
        while not condition():
            assert time.monotonic() < deadline, list(self.answers.values())[-3:]
            await asyncio.sleep(0.05)


def talk(url: str, *questions: str) -> list[str]:
    async def run() -> list[str]:
        visitor = Visitor(url)
        await visitor.connect()
        try:
            return [await visitor.ask(q) for q in questions]
        finally:
            await visitor.sio.disconnect()

    with ThreadPoolExecutor(max_workers=1) as pool:  # a loop of its own, whatever runs here
        return pool.submit(asyncio.run, run()).result()


def feedback(url: str, message_id: str, value: int, comment: str = "") -> httpx.Response:
    """What the widget's thumbs send (Chainlit's PUT /feedback)."""
    body = {
        "feedback": {"forId": message_id, "value": value, "comment": comment or None},
        "sessionId": str(uuid.uuid4()),
    }
    return httpx.put(f"{url}/feedback", json=body, timeout=30)


def hidden(page: str, name: str) -> str:
    found = re.search(rf"name='{name}' value='([^']*)'", page)
    assert found, page[-1500:]
    return html.unescape(found.group(1))


def sign_in(url: str) -> httpx.Client:
    """Through the login form as a browser does: the form's CSRF token and its cookie."""
    client = httpx.Client(base_url=url, timeout=60)
    form = client.get(f"{BASE}/login", params={"next": f"{BASE}/insight"})
    assert form.status_code == 200
    signed = client.post(
        f"{BASE}/login",
        data={
            "csrf": hidden(form.text, "csrf"),
            "next": f"{BASE}/insight",
            "name": USER,
            "password": PASSWORD,
        },
    )
    assert signed.status_code == 303 and signed.headers["location"] == f"{BASE}/insight"
    return client


def erase(client: httpx.Client, words: str) -> str:
    found = client.get(f"{BASE}/erase", params={"q": words})
    assert found.status_code == 200
    done = client.post(
        f"{BASE}/erase",
        data={
            "csrf": hidden(found.text, "csrf"),
            "conversation": hidden(found.text, "conversation"),
            "q": words,
        },
    )
    assert done.status_code == 200
    return done.text


@pytest.mark.postgres
@pytest.mark.slow
def test_two_replicas_share_conversations_feedback_accounts_and_erasure(
    replicas: dict[str, Replica],
) -> None:
    a, b = replicas["a"], replicas["b"]
    first, second = talk(a.url, FIRST, SECOND)  # one conversation, on replica A

    thumbs_down = feedback(a.url, first, 0, "Klopt niet, bel me op 0612345678")
    assert thumbs_down.status_code == 200, thumbs_down.text

    coordinator_b = sign_in(b.url)
    insight = coordinator_b.get(f"{BASE}/insight")
    assert insight.status_code == 200
    assert "respijtzorg" in insight.text  # A's question, with its thumbs down, on B
    assert "duim omlaag" in insight.text
    assert "0612345678" not in insight.text  # stored redacted, whichever replica stored it

    across = feedback(b.url, second, 0, "Ik zocht iets anders")  # A's answer, feedback via B
    assert across.status_code == 200, across.text
    assert "Ik zocht iets anders" in coordinator_b.get(f"{BASE}/insight").text

    # The session B signed is valid on A (one secret for all replicas, accounts in PostgreSQL).
    coordinator_a = httpx.Client(base_url=a.url, cookies=coordinator_b.cookies, timeout=60)
    assert "Ik zocht iets anders" in coordinator_a.get(f"{BASE}/insight").text

    assert "Gesprek gewist: 2 vragen" in erase(coordinator_b, "respijtzorg")
    after = coordinator_a.get(f"{BASE}/insight")
    assert after.status_code == 200
    assert "respijtzorg" not in after.text and "Ik zocht iets anders" not in after.text
    assert "0 vragen in de bewaarperiode" in after.text
    gone = feedback(a.url, first, 1)  # A no longer knows the erased answer
    assert gone.status_code == 500 and "onbekend bericht" in gone.text


def test_a_session_signed_by_one_replica_is_valid_on_another(tmp_path: Path) -> None:
    """Before: the key was `<data_dir>/session.key`, one per pod (an emptyDir), so a coordinator
    signed in on one replica was sent back to the login form by the next."""
    anna = User("anna", "coordinator")

    def signer(name: str, secret: str = "") -> Any:
        ui = UiSettings(session_secret=secret)
        return Runtime(Settings(data_dir=tmp_path / name, ui=ui)).sessions

    assert signer("a").read(signer("b").sign(anna, 1)) is None  # a key per data dir
    shared = "x" * 32
    assert signer("c", shared).read(signer("d", shared).sign(anna, 1)) is not None
    with pytest.raises(ValueError):
        UiSettings(session_secret="too-short")


def test_readyz_warns_when_replicas_on_a_shared_database_have_no_shared_session_key(
    tmp_path: Path,
) -> None:
    shared = StoreSettings(database_url="postgresql+psycopg://wegwijs@db:5432/wegwijs")

    def warnings(**settings: Any) -> list[str]:
        runtime = Runtime(Settings(data_dir=tmp_path, corpus_dir=tmp_path, **settings))
        return list(asyncio.run(runtime.readiness())[1]["warnings"])

    assert NO_SHARED_SESSION_KEY in warnings(store=shared)
    key = UiSettings(session_secret="k" * 32)
    assert NO_SHARED_SESSION_KEY not in warnings(store=shared, ui=key)
    assert NO_SHARED_SESSION_KEY not in warnings()  # SQLite: one process, the file is enough
