"""Train the card scorer: `make train-cards` (python -m assistant.train_cards).

Training messages: the labelled messages in assistant/data/card_labels/*.jsonl ({"text",
  "card_ids"}: every card that answers it, best first; [] = no card does): paraphrases, story
  messages, near-misses of
  another card, questions no card answers. (The other half of the same labelled set is frozen in
  eval/blind/cards_heldout_v1.jsonl and is never read here.)

(The cards' own variants are not used as training messages: cards overlap, so a variant is
often answered as well by another card, and "only its own card is right" would be a wrong
label.) A logistic regression over the candidate features (assistant.matching.FEATURES) gives
the probability that a candidate card answers the message. Thresholds come from 5-fold
out-of-fold probabilities on the labelled messages:
- answer: the lowest threshold at which the best card is right for >= PRECISION of the messages
  it answers;
- choices: the threshold that keeps the right card among the "Bedoel je...?" buttons for 95%
  of the labelled messages that have a card.
The result is written to assistant/data/card_scorer.json. Deterministic: same corpus, same file.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from assistant.matching import FEATURES, SCORER_PATH, CardMatcher, Scorer, pieces
from wegwijs.domain import Card
from wegwijs.embedding import Embedder

LABELS_DIR = Path(__file__).resolve().parent / "data" / "card_labels"
PRECISION = 0.90  # the operating point; the held-out report also gives recall at 0.95
CHOICE_RECALL = 0.95
FOLDS = 5
MIN_ANSWERED = 20  # the answer threshold needs this many answered messages behind it


@dataclass
class Message:
    text: str
    card_ids: tuple[str, ...]  # every card that answers it; () = none
    source: str  # the labels file name


@dataclass
class Rows:
    features: np.ndarray
    labels: np.ndarray
    message: np.ndarray  # message index per row
    card: np.ndarray  # card index per row


def load_labels(folder: Path = LABELS_DIR) -> list[Message]:
    messages = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                messages.append(Message(row["text"], tuple(row["card_ids"]), path.stem))
    return messages


def build_rows(matcher: CardMatcher, messages: list[Message], embedder: Embedder) -> Rows:
    index = {card_id: i for i, card_id in enumerate(matcher.table.card_ids)}
    features, labels, message_index, card_index = [], [], [], []
    for m, message in enumerate(messages):
        parts = pieces(message.text)
        vectors = np.asarray(embedder.embed_queries([p for p, _ in parts]), dtype=np.float32)
        rows, _, cards, _ = matcher.features_for(parts, vectors)
        targets = [index[c] for c in message.card_ids if c in index]
        features.append(rows)
        labels.append(np.isin(cards, targets).astype(np.int64))
        message_index.append(np.full(len(cards), m))
        card_index.append(cards)
    return Rows(
        np.vstack(features),
        np.concatenate(labels),
        np.concatenate(message_index),
        np.concatenate(card_index),
    )


def fit(features: np.ndarray, labels: np.ndarray) -> LogisticRegression:
    model = LogisticRegression(C=1.0, max_iter=2000)
    model.fit(features, labels)
    return model


def out_of_fold(rows: Rows, messages: int) -> np.ndarray:
    probability = np.zeros(len(rows.labels))
    folds = KFold(FOLDS, shuffle=True, random_state=0).split(np.arange(messages))
    for train, _ in folds:
        in_train = np.isin(rows.message, train)
        model = fit(rows.features[in_train], rows.labels[in_train])
        probability[~in_train] = model.predict_proba(rows.features[~in_train])[:, 1]
    return probability


Outcome = tuple[float, bool, float, int | None, bool]


def per_message(
    rows: Rows, probability: np.ndarray, messages: list[Message], ids: list[str]
) -> list[Outcome]:
    """Per message: (best probability, best is right, right card's probability, right card's
    rank or None, whether the message has a card)."""
    out = []
    for m, message in enumerate(messages):
        mine = np.flatnonzero(rows.message == m)
        best_per_card: dict[int, float] = {}
        for row in mine:
            card = int(rows.card[row])
            best_per_card[card] = max(best_per_card.get(card, 0.0), float(probability[row]))
        ranked = sorted(best_per_card.items(), key=lambda kv: -kv[1])
        targets = {ids.index(c) for c in message.card_ids if c in ids}
        right_p, right_rank = 0.0, None
        for rank, (card, p) in enumerate(ranked, start=1):
            if card in targets:
                right_p, right_rank = p, rank
                break
        best_card, best_p = ranked[0] if ranked else (None, 0.0)
        out.append((best_p, best_card in targets, right_p, right_rank, bool(targets)))
    return out


def answer_threshold(outcomes: list[Outcome]) -> float:
    """The lowest threshold with precision >= PRECISION on the messages it answers."""
    candidates = sorted({round(o[0], 4) for o in outcomes})
    for threshold in candidates:
        answered = [o for o in outcomes if o[0] >= threshold]
        if len(answered) < MIN_ANSWERED:
            break
        if sum(o[1] for o in answered) / len(answered) >= PRECISION:
            return float(threshold)
    return 0.99


def choice_threshold(outcomes: list[Outcome]) -> float:
    """The threshold that keeps the right card among the choices for CHOICE_RECALL of the
    messages that have one (rank <= 4)."""
    right = sorted(o[2] for o in outcomes if o[3] is not None and o[3] <= 4)
    with_card = [o for o in outcomes if o[4]]
    if not right:
        return 0.5
    index = int(np.floor((1 - CHOICE_RECALL) * len(with_card)))
    return float(round(right[min(index, len(right) - 1)], 4))


def train(cards: list[Card], embedder: Embedder, labels: list[Message]) -> dict[str, object]:
    live = [card for card in cards if not card.retired]
    placeholder = Scorer(np.zeros(len(FEATURES)), 0.0, 1.0, 1.0)
    matcher = CardMatcher.build(live, embedder, placeholder)
    known = {card.id for card in live}
    messages = [
        Message(m.text, tuple(c for c in m.card_ids if c in known), m.source)
        for m in labels
        if not m.card_ids or any(c in known for c in m.card_ids)
    ]
    rows = build_rows(matcher, messages, embedder)
    probability = out_of_fold(rows, len(messages))
    outcomes = per_message(rows, probability, messages, matcher.table.card_ids)
    model = fit(rows.features, rows.labels)
    answer = answer_threshold(outcomes)
    choice = min(choice_threshold(outcomes), answer)
    return {
        "features": list(FEATURES),
        "coef": [round(float(x), 6) for x in model.coef_[0]],
        "intercept": round(float(model.intercept_[0]), 6),
        "answer_threshold": answer,
        "choice_threshold": choice,
        "precision_target": PRECISION,
        "trained_on": {"cards": len(live), "labelled": len(messages)},
        "out_of_fold": summary(outcomes, answer, choice),
    }


def summary(outcomes: list[Outcome], answer: float, choice: float) -> dict[str, float]:
    has_target = [o for o in outcomes if o[4]]
    answered = [o for o in outcomes if o[0] >= answer]
    right_answered = [o for o in answered if o[1]]
    return {
        "messages": len(outcomes),
        "precision": round(len(right_answered) / max(1, len(answered)), 3),
        "recall": round(len(right_answered) / max(1, len(has_target)), 3),
        "rank1": round(sum(o[3] == 1 for o in has_target) / max(1, len(has_target)), 3),
        "in_choices": round(
            sum(o[3] is not None and o[3] <= 4 and o[2] >= choice for o in has_target)
            / max(1, len(has_target)),
            3,
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SCORER_PATH)
    args = parser.parse_args(argv)
    from wegwijs.config import load_settings
    from wegwijs.container import Container

    container = Container(load_settings())
    corpus = container.load_corpus()
    result = train(corpus.cards, container.embedder, load_labels())
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        json.dumps(
            {
                k: result[k]
                for k in ("answer_threshold", "choice_threshold", "trained_on", "out_of_fold")
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
