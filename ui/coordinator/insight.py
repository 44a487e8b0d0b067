"""What coordinators learn from the stored (redacted) exchanges: unanswered questions, grouped
by similarity, and usage over time."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from wegwijs.conversations import Exchange, Feedback
from wegwijs.embedding import Embedder

SIMILAR = 0.9  # cosine of e5 query embeddings above which two questions count as "the same"
REASONS = {
    "none": "geen antwoord",
    "low_confidence": "onzeker antwoord",
    "thumbs_down": "duim omlaag",
}


@dataclass
class QuestionGroup:
    question: str  # the first question of the group stands for it
    members: list[str] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)
    comments: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class Unanswered:
    question: str
    reason: str
    comment: str = ""


def unanswered(exchanges: list[Exchange], feedback: list[Feedback]) -> list[Unanswered]:
    """Questions with no good answer: no answer, a low-confidence answer, or a thumbs-down."""
    by_id = {e.id: e for e in exchanges}
    found: list[Unanswered] = []
    for exchange in exchanges:
        if exchange.route != "answer":
            continue
        if exchange.strategy == "none":
            found.append(Unanswered(exchange.question, "none"))
        elif exchange.low_confidence:
            found.append(Unanswered(exchange.question, "low_confidence"))
    for item in feedback:
        rated = by_id.get(item.exchange_id)
        if item.value == 0 and rated is not None:
            found.append(Unanswered(rated.question, "thumbs_down", item.comment))
    return found


def group_similar(
    items: list[Unanswered], embedder: Embedder, threshold: float = SIMILAR
) -> list[QuestionGroup]:
    """Greedy clustering: each question joins the first group whose lead question is close."""
    if not items:
        return []
    vectors = np.asarray(embedder.embed_queries([i.question for i in items]), dtype=np.float32)
    leads: list[np.ndarray] = []
    groups: list[QuestionGroup] = []
    for item, vector in zip(items, vectors, strict=True):
        scores = [float(lead @ vector) for lead in leads]
        best = int(np.argmax(scores)) if scores else -1
        if best < 0 or scores[best] < threshold:
            leads.append(vector)
            groups.append(QuestionGroup(item.question))
            best = len(groups) - 1
        group = groups[best]
        group.members.append(item.question)
        group.reasons[item.reason] += 1
        if item.comment:
            group.comments.append(item.comment)
    return sorted(groups, key=lambda g: -g.count)


@dataclass(frozen=True)
class Usage:
    per_day: list[tuple[str, int]]
    per_hour: list[tuple[str, int]]
    strategies: list[tuple[str, int]]
    crisis: list[tuple[str, int]]
    total: int


def usage(exchanges: list[Exchange], days: int = 30, now: datetime | None = None) -> Usage:
    """Counts per day (the last `days` days, UTC), per hour of the day, per strategy, per crisis."""
    today = (now or datetime.now(UTC)).date()
    first = today - timedelta(days=days - 1)
    per_day = Counter(e.created_at.date() for e in exchanges if e.created_at.date() >= first)
    per_hour = Counter(e.created_at.hour for e in exchanges)
    answered = Counter(e.strategy for e in exchanges if e.route == "answer")
    crisis = Counter(e.crisis_kind or "onbekend" for e in exchanges if e.route == "crisis")
    return Usage(
        per_day=[
            ((first + timedelta(d)).strftime("%d-%m"), per_day[first + timedelta(d)])
            for d in range(days)
        ],
        per_hour=[(f"{h:02d}", per_hour[h]) for h in range(24)],
        strategies=[(s, answered[s]) for s in ("faq", "card", "generative", "extractive", "none")],
        crisis=sorted(crisis.items()),
        total=len(exchanges),
    )
