"""Card matching on labelled messages: the frozen held-out set (eval/blind/cards_heldout_v1.jsonl)
or any file in the same form ({"id", "text", "card_ids": [every card that answers it], "kind"}).
One implementation, used by `wegwijs eval cards` and by the tests.

Measures, per message, what the chat would do with it (assistant.matching.decide):
- answered: a card shown; right when it is one of the message's `card_ids`;
- rank1: the best-ranked card is right (messages that have a card);
- in_choices: the right card is shown, or offered among the "Bedoel je...?" buttons;
- recall_at_precision_95: the largest share of messages with a card that some threshold answers
  rightly at a precision of at least 0.95 (a point on the held-out curve, reported for the
  target; the shipped threshold is chosen on the training labels only).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.matching import CardMatcher, decide
from eval.guard_metrics import failed_targets as guard_failed_targets

HELDOUT = Path(__file__).resolve().parent / "blind" / "cards_heldout_v1.jsonl"

# The answer-cards issue's targets on held-out messages.
TARGETS: dict[str, tuple[str, float]] = {
    "rank1": (">=", 0.8),
    "in_choices": (">=", 0.95),
    "recall_at_precision_95": (">=", 0.85),
}


@dataclass(frozen=True)
class LabelledMessage:
    id: str
    text: str
    card_ids: tuple[str, ...]
    kind: str


def load_labelled(path: Path = HELDOUT) -> list[LabelledMessage]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                raw = json.loads(line)
                rows.append(
                    LabelledMessage(
                        raw["id"], raw["text"], tuple(raw["card_ids"]), raw.get("kind", "")
                    )
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not a labelled message ({exc})") from exc
    return rows


def card_report(messages: Sequence[LabelledMessage], matcher: CardMatcher) -> dict[str, Any]:
    known = set(matcher.by_id)
    outcomes = []
    for message in messages:
        right = {c for c in message.card_ids if c in known}
        ranked = matcher.rank(message.text)
        decision = decide(ranked, matcher.scorer)
        offered = [r.card.id for r in decision.choices]
        shown = decision.card.card.id if decision.card else None
        outcomes.append(
            {
                "id": message.id,
                "kind": message.kind,
                "has_card": bool(right),
                "best": ranked[0].card.id if ranked else None,
                "best_p": ranked[0].probability if ranked else 0.0,
                "rank1": bool(ranked) and ranked[0].card.id in right,
                "shown": shown,
                "shown_right": shown in right if shown else False,
                "in_choices": (shown in right) if shown else bool(right & set(offered)),
            }
        )
    return summarise(outcomes) | {"by_kind": _by_kind(outcomes), "misses": _misses(outcomes)}


def summarise(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    with_card = [o for o in outcomes if o["has_card"]]
    shown = [o for o in outcomes if o["shown"]]
    right = [o for o in shown if o["shown_right"]]
    n = max(1, len(with_card))
    return {
        "messages": len(outcomes),
        "with_card": len(with_card),
        "rank1": round(sum(o["rank1"] for o in with_card) / n, 3),
        "in_choices": round(sum(o["in_choices"] for o in with_card) / n, 3),
        "answered": len(shown),
        "precision": round(len(right) / max(1, len(shown)), 3),
        "recall": round(len(right) / n, 3),
        "no_card_answered": sum(1 for o in shown if not o["has_card"]),
        "recall_at_precision_95": _recall_at(outcomes, 0.95),
    }


def _recall_at(outcomes: list[dict[str, Any]], precision: float) -> float:
    with_card = max(1, sum(o["has_card"] for o in outcomes))
    best = 0.0
    ordered = sorted(outcomes, key=lambda o: -o["best_p"])
    right = 0
    for count, outcome in enumerate(ordered, start=1):
        right += outcome["rank1"]
        if right / count >= precision:
            best = max(best, right / with_card)
    return round(best, 3)


def _by_kind(outcomes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for outcome in outcomes:
        groups[outcome["kind"]].append(outcome)
    return {kind: summarise(rows) for kind, rows in sorted(groups.items())}


def _misses(outcomes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in outcomes if o["shown"] and not o["shown_right"]][:40]


def failed_targets(report: dict[str, Any]) -> list[str]:
    return guard_failed_targets(report, TARGETS)
