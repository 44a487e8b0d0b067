"""What one running chat server holds: the container, the ingest lock and the corpus watcher.

In the embedded default the server owns the local Qdrant folder (one process per folder), so
re-ingest while the chat runs happens here: the watcher picks up corpus edits within
`WATCH_SECONDS`, and `wegwijs ingest` from another shell is forwarded over loopback.

Replicas (`ingest.on_start` false) never ingest: a one-shot `wegwijs ingest` job fills the
shared index, and the watcher only reloads the corpus (FAQ answers, listings). Replicas that do
ingest while sharing a Qdrant server and PostgreSQL take turns through an advisory lock: the one
that gets it ingests, the others skip.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
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
from wegwijs.database import INGEST_LOCK, advisory_lock, is_server
from wegwijs.vectorstore import QdrantStore

log = logging.getLogger("wegwijs.ui")
WATCH_SECONDS = 5.0
RETENTION_EVERY_SECONDS = 3600.0
NO_SHARED_SESSION_KEY = (
    "sessions: no ui.session_secret, so a coordinator's session is valid on this replica only"
)


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
        secret = self.settings.ui.session_secret
        return SessionSigner(secret.encode() if secret else load_secret(self.settings.data_path))

    async def start(self) -> None:
        """Start-up steps that do not depend on each other: one failing never stops the next.
        What failed is logged and shown on /readyz."""
        ingests = self.settings.ingest.on_start
        try:
            self.token = write_token(self.settings) if ingests else ""
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
        if ingests:
            try:
                await self.ingest()
            except Exception as exc:  # noqa: BLE001 - logged; the watcher retries on a change
                self._failed("ingest", exc)
        else:
            self._fingerprint = corpus_fingerprint(self.settings.corpus_dir)
            log.info("ingest: off in this app (ingest.on_start=false); `wegwijs ingest` fills it")
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
            count = await asyncio.to_thread(self._index_size)
            checks["store"], checks["index"] = True, count > 0
        except Exception as exc:  # noqa: BLE001 - reported: this is what /readyz is for
            checks["store"], checks["index"] = False, False
            warnings.append(f"store: {type(exc).__name__}")
        warnings += [
            f"start-up: {step} failed ({name})" for step, name in self.startup_problems.items()
        ]
        if checks["store"] and not checks["index"]:
            warnings.append("index: empty (the corpus is not ingested yet)")
        if is_server(self.settings.database_url) and not self.settings.ui.session_secret:
            warnings.append(NO_SHARED_SESSION_KEY)
        ready = all(checks.values())
        return ready, {"ready": ready, "checks": checks, "warnings": warnings}

    def _index_size(self) -> int:
        """Points in the collection; 0 while the ingest job has not made it yet."""
        store = self.container.store
        if isinstance(store, QdrantStore) and not store.client.collection_exists(store.collection):
            return 0
        return store.count()

    async def stop(self) -> None:
        for task in (self._watcher, self._retention):
            if task:
                task.cancel()
        await self.container.aclose()

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
        """Ingest the corpus (only what changed); `{"skipped": true}` when another replica holds
        the ingest lock (this one then just reloads the corpus)."""
        async with self._lock:
            self._fingerprint = corpus_fingerprint(self.settings.corpus_dir)
            report = await asyncio.to_thread(self._ingest_sync, rebuild)
        if report is None:
            log.info("ingest: another replica is ingesting the shared index; skipped here")
            return {"skipped": True}, []
        problems = [str(p) for p in report.problems]
        log.info("ingest: %s (%d problems)", report.to_json(), len(problems))
        for problem in report.problems:  # corpus files only: coordinators' text, never users'
            level = logging.WARNING if problem.severity == "error" else logging.INFO
            log.log(level, "corpus: %s", problem)
        return report.to_json(), problems

    def _ingest_sync(self, rebuild: bool) -> Any:
        with self._ingest_turn() as mine:
            corpus = self.container.load_corpus()
            report = self.container.ingest_pipeline.run(corpus, rebuild=rebuild) if mine else None
        self._serve(corpus)
        return report

    @contextmanager
    def _ingest_turn(self) -> Iterator[bool]:
        """True when this replica may ingest now. Replicas that share a Qdrant server and a
        PostgreSQL database take turns (a non-waiting advisory lock); anything else is alone."""
        shared = self.settings.vector_store.mode == "server"
        if not (shared and is_server(self.settings.database_url)):
            yield True
            return
        with advisory_lock(self.users.engine, INGEST_LOCK) as got:
            yield got

    def _serve(self, corpus: Any) -> None:
        """FAQ answers, listings and allowed links come from `corpus` from now on."""
        self.container.corpus_changed(corpus)
        self.links = link_allowlist(self.settings, corpus)

    async def reload_corpus(self) -> None:
        """A replica that does not ingest: serve the edited corpus (a card the index does not
        have yet is embedded when the cards are matched; see CardMatcher.from_store)."""
        async with self._lock:
            self._fingerprint = corpus_fingerprint(self.settings.corpus_dir)
            corpus = await asyncio.to_thread(self.container.load_corpus)
            self._serve(corpus)
        log.info("corpus reloaded (this app does not ingest)")

    async def corpus_edited(self) -> None:
        """What the watcher does when a corpus file changed."""
        if self.settings.ingest.on_start:
            await self.ingest()
        else:
            await self.reload_corpus()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            try:
                if corpus_fingerprint(self.settings.corpus_dir) != self._fingerprint:
                    await self.corpus_edited()
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
