"""A small async client for the OpenAI-compatible chat-completions API that vLLM serves.

The `httpx.AsyncClient` is passed in (as in pydantic-ai), so the caller owns connection pooling
and its life cycle, and tests can point it at real local servers. The app passes the composition
root's one pooled client (`Container.http`, closed at shutdown). With `http=None` every request
opens its own short-lived client (the optional eval judge).

Timeouts: `connect_timeout` bounds opening the TCP connection; `timeout` bounds every wait for
bytes from the server (for a streamed answer: the silence before the next token; for a plain
answer: the whole generation, as the server sends nothing until it is done).

Retries: only for failures that happen before the first token reached the caller and that a
second try can fix: connection errors (refused, reset, connect timeout) and HTTP 5xx / 429, with
exponential backoff (a 429/503 `Retry-After` is honoured, capped). A read timeout is never
retried: the caller would wait twice as long for a server that is stuck.

Errors: every failure is an `LlmError` (catch that to fall back to the card choices or who to ask);
`LlmUnavailable` and `LlmTimeout` are the two kinds that say "the server is down / stuck".
Messages are for operators and name the setting that fixes them.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol, Self, TypeVar

import httpx

from wegwijs.config import LlmSettings

ChatMessage = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}

T = TypeVar("T")


class LlmError(Exception):
    """The LLM server failed. `status` is the HTTP status when the server answered with one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class LlmUnavailable(LlmError):
    """No connection to the LLM server (down, wrong address, refused) after the retries."""


class LlmTimeout(LlmError):
    """The LLM server accepted the request but sent nothing within the timeout."""


class ChatClient(Protocol):
    """What the generative strategy needs from an LLM."""

    async def complete(
        self, messages: Sequence[ChatMessage], max_tokens: int, temperature: float
    ) -> str: ...

    def stream(
        self, messages: Sequence[ChatMessage], max_tokens: int, temperature: float
    ) -> AsyncIterator[str]: ...


class _RetryableStatus(Exception):
    """A 5xx or 429 answer: worth another try while no token has been streamed."""

    def __init__(self, error: LlmError, retry_after: float | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


_CONNECTION_ERRORS = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.RemoteProtocolError,
    httpx.ReadError,
    httpx.WriteError,
)
_STATUS_HINTS = {
    400: "the request was refused; a prompt longer than the model's context is the usual cause "
    "(check WEGWIJS_LLM__CONTEXT_TOKENS against the server's --max-model-len)",
    401: "check WEGWIJS_LLM__API_KEY",
    403: "check WEGWIJS_LLM__API_KEY",
    404: "check WEGWIJS_LLM__MODEL (the served model name) and that WEGWIJS_LLM__BASE_URL "
    "ends in /v1",
    429: "the server is overloaded; add replicas or lower the load",
}


class OpenAICompatibleClient:
    def __init__(
        self,
        base_url: str,
        model: str,
        http: httpx.AsyncClient | None,
        api_key: str = "",
        timeout: float = 30.0,
        max_retries: int = 2,
        *,
        connect_timeout: float = 3.0,
        backoff_s: float = 0.25,
        max_backoff_s: float = 4.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.max_retries = max(0, max_retries)
        self._http = http
        self._api_key = api_key
        self._timeout = httpx.Timeout(timeout, connect=connect_timeout)
        self._read_timeout = timeout
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s

    @classmethod
    def from_settings(cls, llm: LlmSettings, http: httpx.AsyncClient | None) -> Self:
        return cls(
            llm.base_url,
            llm.model,
            http,
            api_key=llm.api_key,
            timeout=llm.timeout_s,
            max_retries=llm.max_retries,
            connect_timeout=llm.connect_timeout_s,
        )

    async def complete(
        self, messages: Sequence[ChatMessage], max_tokens: int, temperature: float = 0.2
    ) -> str:
        """One answer, not streamed."""
        payload = self._payload(messages, max_tokens, temperature, stream=False)

        async def attempt() -> str:
            async with self._client() as http:
                response = await http.send(self._request(http, payload))
            self._check_status(response, response.text)
            return _message_content(_json(response.text))

        return await self._with_retries(attempt)

    async def stream(
        self, messages: Sequence[ChatMessage], max_tokens: int, temperature: float = 0.2
    ) -> AsyncIterator[str]:
        """The answer as text deltas, read from the server-sent events (`data: {...}`, `[DONE]`)."""
        payload = self._payload(messages, max_tokens, temperature, stream=True)
        attempt = 0
        while True:
            streamed = False
            try:
                async with self._client() as http:
                    response = await http.send(self._request(http, payload), stream=True)
                    try:
                        if response.status_code >= 400:
                            await response.aread()
                            self._check_status(response, response.text)
                        async for delta in _sse_deltas(response):
                            streamed = True
                            yield delta
                        return
                    finally:
                        await response.aclose()
            except (httpx.TransportError, _RetryableStatus) as exc:
                if streamed:
                    raise self._broken_stream(exc) from exc
                attempt += 1
                await self._before_retry(exc, attempt)

    async def _with_retries(self, operation: Callable[[], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            try:
                return await operation()
            except (httpx.TransportError, _RetryableStatus) as exc:
                attempt += 1
                await self._before_retry(exc, attempt)

    async def _before_retry(self, exc: Exception, attempt: int) -> None:
        """Raise the final typed error, or sleep before the next attempt."""
        if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout):
            raise self._timed_out() from exc
        if not isinstance(exc, (_RetryableStatus, *_CONNECTION_ERRORS)):
            raise LlmError(f"LLM request to {self.base_url} failed: {exc!r}") from exc
        if attempt > self.max_retries:
            if isinstance(exc, _RetryableStatus):
                raise exc.error from exc
            raise self._unavailable(exc) from exc
        delay = min(self._max_backoff_s, self._backoff_s * 2 ** (attempt - 1))
        if isinstance(exc, _RetryableStatus) and exc.retry_after is not None:
            delay = min(self._max_backoff_s, max(delay, exc.retry_after))
        await asyncio.sleep(delay + random.uniform(0, delay / 10))

    def _payload(
        self, messages: Sequence[ChatMessage], max_tokens: int, temperature: float, stream: bool
    ) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": list(messages),
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": stream,
        }

    def _request(self, http: httpx.AsyncClient, payload: dict[str, Any]) -> httpx.Request:
        headers = {"Accept": "text/event-stream" if payload["stream"] else "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return http.build_request(
            "POST",
            f"{self.base_url}/chat/completions",
            json=payload,
            headers=headers,
            timeout=self._timeout,
        )

    @asynccontextmanager
    async def _client(self) -> AsyncIterator[httpx.AsyncClient]:
        if self._http is not None:
            yield self._http
            return
        async with httpx.AsyncClient() as http:
            yield http

    def _check_status(self, response: httpx.Response, body: str) -> None:
        status = response.status_code
        if status < 400:
            return
        detail = _error_detail(body)
        hint = _STATUS_HINTS.get(status, "see the LLM server's log")
        error = LlmError(
            f"LLM server at {self.base_url} answered HTTP {status}: {detail} ({hint})", status
        )
        if status >= 500 or status == 429:
            raise _RetryableStatus(error, _retry_after(response))
        raise error

    def _unavailable(self, exc: Exception) -> LlmUnavailable:
        return LlmUnavailable(
            f"LLM server not reachable at {self.base_url} after {self.max_retries + 1} attempts "
            f"({type(exc).__name__}: {exc}). Start the server (see deploy/vllm/README.md) or "
            "set WEGWIJS_LLM__BASE_URL to its address; WEGWIJS_LLM__BACKEND=none answers "
            "without an LLM."
        )

    def _timed_out(self) -> LlmTimeout:
        return LlmTimeout(
            f"LLM server at {self.base_url} sent nothing for {self._read_timeout:g} s "
            "(WEGWIJS_LLM__TIMEOUT_S). It may be overloaded or stuck."
        )

    def _broken_stream(self, exc: Exception) -> LlmError:
        if isinstance(exc, httpx.TimeoutException):
            return self._timed_out()
        return LlmError(f"LLM stream from {self.base_url} broke off: {exc!r}")


async def _sse_deltas(response: httpx.Response) -> AsyncIterator[str]:
    """Content deltas until `data: [DONE]`; a stream that ends without it was cut off."""
    async for line in response.aiter_lines():
        if not line.startswith("data:"):
            continue  # blank separators, comments (": ping"), event/id fields
        data = line[5:].strip()
        if data == "[DONE]":
            return
        event = _json(data)
        if "error" in event:
            raise LlmError(f"LLM stream reported an error: {_error_detail(data)}")
        choices = event.get("choices") or []
        if not choices:
            continue  # e.g. a final usage-only event
        content = (choices[0].get("delta") or {}).get("content")
        if content:
            yield content
    raise LlmError("LLM stream ended before [DONE]: the server closed the connection early")


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LlmError(f"LLM server sent invalid JSON: {text[:200]!r}") from exc
    if not isinstance(value, dict):
        raise LlmError(f"LLM server sent unexpected JSON: {text[:200]!r}")
    return value


def _message_content(body: dict[str, Any]) -> str:
    choices = body.get("choices") or []
    if not choices:
        raise LlmError(f"LLM answer has no choices: {json.dumps(body)[:200]}")
    content = (choices[0].get("message") or {}).get("content")
    return content if isinstance(content, str) else ""


def _error_detail(body: str) -> str:
    try:
        value = json.loads(body)
    except json.JSONDecodeError:
        return body.strip()[:300] or "(empty body)"
    if isinstance(value, dict):
        error = value.get("error", value.get("detail", value))
        if isinstance(error, dict):
            error = error.get("message", error)
        return str(error)[:300]
    return str(value)[:300]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
