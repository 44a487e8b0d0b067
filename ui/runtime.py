"""What one running chat server holds: the container, the ingest lock and the corpus watcher.

In the embedded default the server owns the local Qdrant folder (one process per folder), so
re-ingest while the chat runs happens here: the watcher picks up corpus edits within
`WATCH_SECONDS`, and `wegwijs ingest` from another shell is forwarded over loopback.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from ingest.remote import write_token
from ui.coordinator.session import SessionSigner, load_secret
from ui.coordinator.throttle import LoginThrottle
from ui.coordinator.users import UserStore
from ui.data_layer import WegwijsDataLayer
from ui.render import link_allowlist
from wegwijs.chat import ChatService
from wegwijs.config import Settings, load_settings
from wegwijs.container import Container

log = logging.getLogger("wegwijs.ui")
WATCH_SECONDS = 5.0
RETENTION_EVERY_SECONDS = 3600.0


def corpus_fingerprint(root: Path) -> tuple[tuple[str, int, int], ...]:
    entries = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            stat = path.stat()
            entries.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.container = Container(settings)
        self.token = ""
        self.links = link_allowlist(settings)  # + the corpus' own hosts after each ingest
        self._lock = asyncio.Lock()
        self._fingerprint: tuple[tuple[str, int, int], ...] = ()
        self._watcher: asyncio.Task[None] | None = None
        self._retention: asyncio.Task[None] | None = None
        self.retention_every = RETENTION_EVERY_SECONDS
        self.startup_problems: dict[str, str] = {}
        self.data_layer = WegwijsDataLayer(
            store=lambda: self.container.conversations,
            inspect=lambda text: self.container.guardrails.inspect(text),
        )

    @property
    def chat(self) -> ChatService:
        return self.container.chat

    @cached_property
    def users(self) -> UserStore:
        """Coordinator accounts, in the same SQL database as the conversations."""
        if not self.settings.data_path.exists():
            self.settings.data_path.mkdir(mode=0o700, parents=True)
        url = self.settings.database_url
        if self.settings.store.database_url == "memory":  # accounts outlive a test store
            url = f"sqlite:///{self.settings.data_path / 'users.db'}"
        return UserStore(url)

    @cached_property
    def login_throttle(self) -> LoginThrottle:
        """Counters in the accounts' database: shared by every replica."""
        return LoginThrottle(self.users.engine)

    @cached_property
    def sessions(self) -> SessionSigner:
        return SessionSigner(load_secret(self.settings.data_path))

    async def start(self) -> None:
        """Start-up steps that do not depend on each other: one failing never stops the next.
        What failed is logged and shown on /readyz."""
        try:
            self.token = write_token(self.settings)
        except OSError as exc:
            self._failed("ingest token", exc)
        # Build the guardrails first: the crisis path must work even if the store does not.
        try:
            await asyncio.to_thread(lambda: self.container.guardrails)
        except Exception as exc:  # noqa: BLE001 - logged; the chat answers with the last resort
            self._failed("guardrails", exc)
        try:  # the accounts' tables, made here in a thread rather than at the first login
            await asyncio.to_thread(lambda: self.login_throttle)
        except Exception as exc:  # noqa: BLE001 - logged; login answers with a 500 until fixed
            self._failed("accounts", exc)
        self._retention = asyncio.create_task(self._purge_forever())
        try:
            await self.ingest()
        except Exception as exc:  # noqa: BLE001 - logged; the watcher retries on the next change
            self._failed("ingest", exc)
        self._watcher = asyncio.create_task(self._watch())

    def _failed(self, step: str, exc: BaseException) -> None:
        self.startup_problems[step] = type(exc).__name__
        log.error("start-up: %s failed; the other steps go on", step, exc_info=exc)

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        """For /readyz: guardrails built, store reachable, index non-empty; contacts problems and
        failed start-up steps are reported."""
        checks: dict[str, Any] = {}
        warnings: list[str] = []
        guardrails = self.container.__dict__.get("guardrails")
        checks["guardrails"] = guardrails is not None
        if guardrails is not None and guardrails.contacts_problem:
            warnings.append(f"contacts: {guardrails.contacts_problem}")
        try:
            count = await asyncio.to_thread(self.container.store.count)
            checks["store"], checks["index"] = True, count > 0
        except Exception as exc:  # noqa: BLE001 - reported: this is what /readyz is for
            checks["store"], checks["index"] = False, False
            warnings.append(f"store: {type(exc).__name__}")
        warnings += [
            f"start-up: {step} failed ({name})" for step, name in self.startup_problems.items()
        ]
        ready = all(checks.values())
        return ready, {"ready": ready, "checks": checks, "warnings": warnings}

    async def stop(self) -> None:
        for task in (self._watcher, self._retention):
            if task:
                task.cancel()
        self.container.close()

    def purge_expired(self) -> int:
        """Delete conversations and feedback older than `store.retention_days`."""
        days = self.settings.store.retention_days
        removed = self.container.conversations.purge(timedelta(days=days))
        log.info("retention: removed %d exchanges older than %d days", removed, days)
        return removed

    async def _purge_forever(self) -> None:
        """At start, then every `retention_every` seconds: nobody has to remember it."""
        while True:
            try:
                await asyncio.to_thread(self.purge_expired)
            except Exception:  # a database outage must not stop the job for good
                log.exception("retention: purge failed; will retry")
            await asyncio.sleep(self.retention_every)

    async def ingest(self, rebuild: bool = False) -> tuple[dict[str, Any], list[str]]:
        async with self._lock:
            self._fingerprint = corpus_fingerprint(self.settings.corpus_dir)
            report = await asyncio.to_thread(self._ingest_sync, rebuild)
        problems = [str(p) for p in report.problems]
        log.info("ingest: %s (%d problems)", report.to_json(), len(problems))
        for problem in report.problems:  # corpus files only: coordinators' text, never users'
            level = logging.WARNING if problem.severity == "error" else logging.INFO
            log.log(level, "corpus: %s", problem)
        return report.to_json(), problems

    def _ingest_sync(self, rebuild: bool) -> Any:
        corpus = self.container.load_corpus()
        report = self.container.ingest_pipeline.run(corpus, rebuild=rebuild)
        self.container.corpus_changed(corpus)
        self.links = link_allowlist(self.settings, corpus)
        return report

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            try:
                if corpus_fingerprint(self.settings.corpus_dir) != self._fingerprint:
                    await self.ingest()
            except Exception:  # the watcher must survive a bad edit
                log.exception("corpus watcher: ingest failed; will retry on the next change")


_runtime: Runtime | None = None


def get_runtime() -> Runtime:
    """The server's runtime, built from the settings on first use; tests may `set_runtime`."""
    global _runtime
    if _runtime is None:
        _runtime = Runtime(load_settings())
    return _runtime


def set_runtime(runtime: Runtime | None) -> None:
    global _runtime
    _runtime = runtime


def ui_dir() -> Path:
    return Path(__file__).resolve().parent
