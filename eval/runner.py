"""Runs every case through the same message path as the widget (`container.chat.handle`).

Per run: a fresh container from the (overridden) settings, a throwaway vector store (Qdrant Edge
in a temp folder) with the shipped corpus ingested (so an eval never fights a running app for
the embedded store's folder),
a temporary SQLite conversation store, and a handler on the root logger that keeps every log
record of the run, so the PII scorers can search the stored conversation and the logs.
"""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.dataset import Case
from eval.metrics import SUMMARY_KEYS
from eval.outcome import Outcome, SourceTexts, stored_by_id
from eval.scorers import Score, Scorer, aggregate, default_scorers
from wegwijs.config import Settings, load_settings
from wegwijs.container import Container
from wegwijs.domain import Answer, Chunk, Route, Strategy
from wegwijs.vectorstore import QueryFilter

log = logging.getLogger("eval.runner")
POSTCODE4 = re.compile(r"\d{4}")
ContainerFactory = Callable[[Settings], Container]


@dataclass
class CaseResult:
    case: Case
    outcome: Outcome
    scores: dict[str, Score]

    @property
    def failures(self) -> list[str]:
        found = [f"error: {self.outcome.error}"] if self.outcome.error else []
        return found + [f"{name}: {s.failure}" for name, s in self.scores.items() if s.failure]

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class RunResult:
    results: list[CaseResult]
    summary: dict[str, Any]
    seconds: float
    setup_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. the LLM judge's scores


class LogCapture(logging.Handler):
    """Keeps every record of the run in memory (formatted, with exception text)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # noqa: BLE001 - a broken record must not stop the run
            self.lines.append(f"{record.levelname} {record.name} {record.msg!r} {record.args!r}")

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def eval_settings(
    overrides: dict[str, str], prompt: Path | None, workdir: Path, base: Settings | None = None
) -> Settings:
    """The settings of an eval run: memory store, temp conversation store, then the overrides."""
    base = base or load_settings()
    merged = {
        "vector_store.mode": "memory",
        "embedding.model_path": str(base.model_path),
        "store.database_url": f"sqlite:///{workdir / 'conversations.db'}",
    }
    if prompt is not None:
        merged["llm.system_prompt_file"] = str(prompt.resolve())
    return load_settings({**merged, **overrides})


def parse_overrides(pairs: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--settings expects KEY=VALUE (e.g. retrieval.top_k=8), got {pair!r}")
        out[key.strip()] = value.strip()
    return out


def run_suite(
    cases: Sequence[Case],
    overrides: dict[str, str] | None = None,
    prompt: Path | None = None,
    repeat: int = 1,
    factory: ContainerFactory = Container,
    scorers: Callable[[SourceTexts], list[Scorer]] = default_scorers,
) -> list[RunResult]:
    runs = []
    for number in range(1, repeat + 1):
        with tempfile.TemporaryDirectory(prefix="wegwijs-eval-") as tmp:
            settings = eval_settings(overrides or {}, prompt, Path(tmp))
            runs.append(asyncio.run(run_once(cases, settings, factory, scorers)))
        log.info("eval run %d of %d: %.1f s", number, repeat, runs[-1].seconds)
    return runs


async def run_once(
    cases: Sequence[Case],
    settings: Settings,
    factory: ContainerFactory = Container,
    scorers: Callable[[SourceTexts], list[Scorer]] = default_scorers,
) -> RunResult:
    capture = LogCapture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    container = factory(settings)
    try:
        started = time.perf_counter()
        if settings.vector_store.mode == "memory":
            await asyncio.to_thread(container.ingest_pipeline.run, container.load_corpus())
        sources = source_texts(container)
        chat = container.chat
        setup = time.perf_counter() - started
        outcomes = [await _handle(chat, case) for case in cases]
        seconds = time.perf_counter() - started - setup
        # law_hit_at_5 / source_hit_at_5 measure retrieval: a card answer needs no retrieval,
        # so its top 5 passages are looked up here (outside the timed path), after the card.
        for outcome, _ in outcomes:
            answer = outcome.answer
            if answer.route is Route.answer and answer.card_id and not answer.retrieved:
                found = await asyncio.to_thread(
                    container.retriever.search, outcome.redacted_question or "", None
                )
                answer.retrieved = found.passages
        stored = {e.id: f"{e.question}\n{e.answer}" for e in container.conversations.exchanges()}
    finally:
        root.removeHandler(capture)
        root.setLevel(old_level)
        await container.aclose()
    for outcome, exchange_id in outcomes:
        outcome.stored_text = stored.get(exchange_id, "")
        outcome.log_text = capture.text
    active = scorers(sources)
    results = [
        score_case(case, outcome, active)
        for case, (outcome, _) in zip(cases, outcomes, strict=True)
    ]
    return RunResult(results, summarise(results, active), seconds, setup)


async def _handle(chat: Any, case: Case) -> tuple[Outcome, str]:
    postcode4 = m.group(0) if case.postcode and (m := POSTCODE4.search(case.postcode)) else None
    started = time.perf_counter()
    try:
        result = await chat.handle(case.input, postcode4=postcode4)
    except Exception as exc:  # one broken case must not stop the suite
        log.exception("eval case %s raised", case.id)
        answer = Answer(route=Route.answer, strategy=Strategy.none, answer="")
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return Outcome(answer, error=f"{type(exc).__name__}: {exc}"), ""
    return Outcome(result.answer, redacted_question=result.redacted_question), result.exchange_id


def source_texts(container: Container) -> SourceTexts:
    corpus = container.corpus
    texts = {doc.id: doc.text for doc in corpus.documents}
    texts.update({card.id: card.answer for card in corpus.cards})
    texts.update({f"provider:{p.name}": p.description for p in corpus.providers})
    urls: dict[str, frozenset[str]] = {}
    for doc in corpus.documents:
        urls[doc.id] = frozenset([*doc.sources, *([doc.read_more.url] if doc.read_more else [])])
    for card in corpus.cards:
        urls[card.id] = frozenset(
            [*card.sources, *([card.read_more.url] if card.read_more else [])]
        )
    for gemeente in corpus.gemeenten.values():
        for contact in gemeente.contacts:
            key = f"gemeente:{contact.role}"
            urls[key] = urls.get(key, frozenset()) | {contact.url or contact.source}
    for provider in corpus.providers:
        urls[f"provider:{provider.name}"] = frozenset([provider.url])
    return SourceTexts(texts, urls, stored_by_id(stored_points(container)))


def stored_points(container: Container) -> list[Chunk]:
    """Every document and card point in the vector store (general ones, then each gemeente's
    own), read back from the store: what the citations are checked against."""
    kinds = ("doc", "card")
    places = sorted({m for doc in container.corpus.documents for m in doc.municipalities})
    points: dict[str, Chunk] = {}
    for place in [None, *places]:
        chunks, _ = container.store.dense_points(QueryFilter(kinds=kinds, municipality=place))
        points.update((chunk.id, chunk) for chunk in chunks)
    return list(points.values())


def score_case(case: Case, outcome: Outcome, scorers: Sequence[Scorer]) -> CaseResult:
    scores = {}
    for scorer in scorers:
        score = scorer(case, outcome)
        if score is not None:
            scores[scorer.metric] = score
    return CaseResult(case, outcome, scores)


def summarise(results: Sequence[CaseResult], scorers: Sequence[Scorer]) -> dict[str, Any]:
    """Exactly the summary.json keys, in order; null where no case applies."""
    summary: dict[str, Any] = dict.fromkeys(SUMMARY_KEYS)
    summary["cases"] = len(results)
    for scorer in scorers:
        if scorer.metric not in summary:
            continue  # a custom scorer outside the contract: not part of summary.json
        scores = [r.scores[scorer.metric] for r in results if scorer.metric in r.scores]
        value = aggregate(scores, scorer.aggregate)
        summary[scorer.metric] = None if value is None else round(value, 4)
    return summary
