"""Card matching: which answer card answers this message, how sure we are, and which cards are
close enough to offer as "Bedoel je...?".

Per message the matcher reads the whole text and, for a longer message, every sentence and
every window of two sentences (questions first), so the question inside a story still finds its
card. For each piece and each candidate card it computes:

- dense: the best e5 cosine between the piece and the card's question or a variant (questions
  against questions, e5's "query: " form on both sides), and its gap to the best other card;
- answer: the e5 cosine between the piece (query) and the card's question + answer (passage),
  and its gap to the best other card: the answer carries the words of the facts and steps;
- the shape of the piece: the whole message or a part of it; a question or not.

A logistic regression (assistant/data/card_scorer.json, `make train-cards`) turns the features
into the probability that the card answers the message; a card's probability is its best over
the pieces. Character n-gram similarity and facet agreement (a parent, a partner, a child; at
home or in an instelling) were tried as features and left out: on the labelled training
messages they lowered rank-1 accuracy (5-fold: 0.849 without, 0.775-0.837 with).
The thresholds in the same file are chosen on the labelled training messages: `answer` for the
precision in `train_cards.PRECISION`, `choices` for the "Bedoel je...?" buttons.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wegwijs.domain import Card, Chunk
from wegwijs.embedding import Embedder
from wegwijs.vectorstore import QueryFilter

CARD_FILTER = QueryFilter(kinds=("faq", "card"))  # stored card phrasings and card passages
SCORER_PATH = Path(__file__).resolve().parent / "data" / "card_scorer.json"
FEATURES = ("dense", "dense_gap", "answer", "answer_gap", "whole", "question")
DENSE_CANDIDATES = 6
ANSWER_CANDIDATES = 3
MAX_PIECES = 9  # pieces embedded per message (the whole text counts as one)
MAX_PIECE_WORDS = 60
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
QUESTION_START = re.compile(
    r"^(wat|wie|waar|wanneer|hoe|welke?|waarom|kan|kun|kunnen|mag|moet|is|zijn|heb|heeft|"
    r"krijg|krijgt|betaal|betaalt|bestaat|vergoedt|weet)\b",
    re.IGNORECASE,
)


def pieces(text: str) -> list[tuple[str, bool]]:
    """(text, is the whole message) for the whole message, its sentences and 2-sentence
    windows, questions first, at most MAX_PIECES."""
    whole = " ".join(text.split())
    sentences = [s.strip() for s in SENTENCE_END.split(text) if len(s.split()) >= 2]
    if len(sentences) <= 1:
        return [(whole, True)]
    parts: list[str] = []
    for index, sentence in enumerate(sentences):
        parts.append(sentence)
        if index + 1 < len(sentences):
            parts.append(f"{sentence} {sentences[index + 1]}")
    asks = [p for p in parts if p.endswith("?") or QUESTION_START.match(p)]
    rest = [p for p in parts if p not in asks]
    ordered = [" ".join(p.split()[:MAX_PIECE_WORDS]) for p in asks + rest]
    return [(whole, True), *((p, False) for p in dict.fromkeys(ordered))][:MAX_PIECES]


def is_question(piece: str) -> bool:
    return piece.rstrip().endswith("?") or bool(QUESTION_START.match(piece.strip()))


@dataclass(frozen=True)
class CardTable:
    """Every phrasing (question and variants) of the cards as unit vectors, and one passage
    vector per card (its question and answer)."""

    card_ids: list[str]  # one per card
    owner: np.ndarray  # phrasing -> card index
    dense: np.ndarray  # phrasing unit vectors (e5 "query: ")
    answers: np.ndarray  # card unit vectors (e5 "passage: " question + answer)

    @classmethod
    def build(cls, cards: Sequence[Card], vectors: np.ndarray, answers: np.ndarray) -> CardTable:
        """`vectors`: one e5 query vector per phrasing, in the order of `phrasings(cards)`;
        `answers`: one e5 passage vector per card, in the order of `card_texts(cards)`."""
        owner = [index for index, card in enumerate(cards) for _ in (card.question, *card.variants)]
        return cls(
            [c.id for c in cards], np.asarray(owner, dtype=np.int64), _unit(vectors), _unit(answers)
        )


def _unit(vectors: np.ndarray) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32)
    if not len(matrix):
        return matrix
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)


def card_texts(cards: Sequence[Card]) -> list[str]:
    """The passage text of each card: its question and its answer."""
    return [f"{card.question}\n{card.answer}" for card in cards]


def phrasings(cards: Sequence[Card]) -> list[str]:
    return [p for card in cards for p in (card.question, *card.variants)]


@dataclass(frozen=True)
class Scorer:
    coef: np.ndarray
    intercept: float
    answer_threshold: float  # a card is shown at or above this probability
    choice_threshold: float  # cards at or above this are offered as "Bedoel je...?"

    @classmethod
    def load(cls, path: Path = SCORER_PATH) -> Scorer:
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path}: trained on other features; run make train-cards")
        return cls(
            np.asarray(data["coef"], dtype=np.float64),
            float(data["intercept"]),
            float(data["answer_threshold"]),
            float(data["choice_threshold"]),
        )

    def probability(self, features: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(features @ self.coef + self.intercept)))


@dataclass(frozen=True)
class Ranked:
    card: Card
    probability: float
    dense: float
    piece: str  # the part of the message that matched best


def per_card_max(scores: np.ndarray, owner: np.ndarray, cards: int) -> np.ndarray:
    """Per row and card: the best score over the card's phrasings."""
    best = np.full((scores.shape[0], cards), -1.0)
    for column, card in enumerate(owner):
        np.maximum(best[:, card], scores[:, column], out=best[:, card])
    return best


def _gap(row: np.ndarray, card: int, order: np.ndarray) -> float:
    """The card's score minus the best score of any other card."""
    other = order[1] if order[0] == card and len(order) > 1 else order[0]
    return float(row[card] - row[other]) if other != card else 0.0


def candidate_features(
    dense_best: np.ndarray,
    answer: np.ndarray,
    whole: list[bool],
    question: list[bool],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature rows for the candidate cards of every piece: (features, piece index, card index)."""
    rows, piece_index, card_index = [], [], []
    for p in range(dense_best.shape[0]):
        d, a = dense_best[p], answer[p]
        order_d = np.argsort(-d, kind="stable")
        order_a = np.argsort(-a, kind="stable")
        candidates = [*order_d[:DENSE_CANDIDATES].tolist(), *order_a[:ANSWER_CANDIDATES].tolist()]
        for c in dict.fromkeys(candidates):
            rows.append(
                (
                    d[c],
                    _gap(d, c, order_d),
                    a[c],
                    _gap(a, c, order_a),
                    1.0 if whole[p] else 0.0,
                    1.0 if question[p] else 0.0,
                )
            )
            piece_index.append(p)
            card_index.append(c)
    return (
        np.asarray(rows, dtype=np.float64).reshape(-1, len(FEATURES)),
        np.asarray(piece_index, dtype=np.int64),
        np.asarray(card_index, dtype=np.int64),
    )


class CardMatcher:
    """Ranks the cards for a message. The table is built from the cards and their phrasing
    vectors; `embed` turns message pieces into e5 query vectors."""

    def __init__(self, cards: Sequence[Card], table: CardTable, embedder: Embedder, scorer: Scorer):
        self.cards = list(cards)
        self.by_id = {card.id: card for card in self.cards}
        self.table = table
        self.embedder = embedder
        self.scorer = scorer

    @classmethod
    def build(cls, cards: Sequence[Card], embedder: Embedder, scorer: Scorer) -> CardMatcher:
        """Embeds every phrasing and answer (training, tests); the app reads them from the store."""
        live = [card for card in cards if not card.retired]
        vectors = embedder.embed_queries(phrasings(live))
        answers = embedder.embed_passages(card_texts(live))
        return cls(live, CardTable.build(live, vectors, answers), embedder, scorer)

    @classmethod
    def from_store(
        cls,
        cards: Sequence[Card],
        points: tuple[Sequence[Chunk], np.ndarray],
        embedder: Embedder,
        scorer: Scorer,
    ) -> CardMatcher:
        """The vectors as the ingest stored them: kind "faq" points (one per phrasing) and kind
        "card" points (one per card). A text missing from the store (not ingested yet) is
        embedded here."""
        live = [card for card in cards if not card.retired]
        chunks, vectors = points
        stored = {
            (chunk.kind, chunk.doc_id, chunk.text): np.asarray(vectors[i], dtype=np.float32)
            for i, chunk in enumerate(chunks)
        }
        keys = [("faq", card.id, p) for card in live for p in (card.question, *card.variants)]
        answer_keys = [
            ("card", card.id, text) for card, text in zip(live, card_texts(live), strict=True)
        ]
        _embed_missing(stored, keys, embedder.embed_queries)
        _embed_missing(stored, answer_keys, embedder.embed_passages)
        vectors = np.stack([stored[key] for key in keys]) if keys else np.zeros((0, 1), np.float32)
        answers = (
            np.stack([stored[key] for key in answer_keys]) if live else np.zeros((0, 1), np.float32)
        )
        return cls(live, CardTable.build(live, vectors, answers), embedder, scorer)

    def features(self, message: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """Candidate feature rows for a message (its pieces embedded in one batch)."""
        parts = pieces(message)
        texts = [text for text, _ in parts]
        vectors = np.asarray(self.embedder.embed_queries(texts), dtype=np.float32)
        return self.features_for(parts, vectors)

    def features_for(
        self, parts: list[tuple[str, bool]], vectors: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
        table = self.table
        texts = [text for text, _ in parts]
        vectors = _unit(vectors)
        dense_best = per_card_max(vectors @ table.dense.T, table.owner, len(table.card_ids))
        features, piece_index, card_index = candidate_features(
            dense_best,
            vectors @ table.answers.T,
            [whole for _, whole in parts],
            [is_question(text) for text in texts],
        )
        return features, piece_index, card_index, texts

    def rank(self, message: str, limit: int = 6) -> list[Ranked]:
        if not self.cards or not message.strip():
            return []
        features, piece_index, card_index, texts = self.features(message)
        return self._ranked(features, piece_index, card_index, texts, limit)

    def _ranked(
        self,
        features: np.ndarray,
        piece_index: np.ndarray,
        card_index: np.ndarray,
        texts: list[str],
        limit: int,
    ) -> list[Ranked]:
        probability = self.scorer.probability(features)
        best: dict[int, Ranked] = {}
        for row in np.argsort(-probability, kind="stable"):
            c = int(card_index[row])
            if c not in best:
                best[c] = Ranked(
                    self.cards[c],
                    float(probability[row]),
                    float(features[row, 0]),
                    texts[int(piece_index[row])],
                )
        return sorted(best.values(), key=lambda r: -r.probability)[:limit]


def _embed_missing(
    stored: dict[tuple[str, str, str], np.ndarray],
    keys: list[tuple[str, str, str]],
    encode: Callable[[list[str]], np.ndarray],
) -> None:
    """Embed the (kind, card id, text) keys the store does not hold yet, into `stored`."""
    missing = [key for key in keys if key not in stored]
    if missing:
        fresh = encode([text for _, _, text in missing])
        for key, vector in zip(missing, fresh, strict=True):
            stored[key] = np.asarray(vector, dtype=np.float32)


@dataclass(frozen=True)
class Decision:
    """What to do with a message: show `card`, offer `choices`, or neither."""

    card: Ranked | None
    choices: list[Ranked]
    ranked: list[Ranked]


MAX_CHOICES = 4
MIN_CHOICES = 2


def decide(ranked: list[Ranked], scorer: Scorer) -> Decision:
    """A card above the answer threshold is shown; else the cards above the choice threshold
    (2-4 of them) are offered; else nothing."""
    if ranked and ranked[0].probability >= scorer.answer_threshold:
        return Decision(ranked[0], [], ranked)
    close = [r for r in ranked if r.probability >= scorer.choice_threshold][:MAX_CHOICES]
    if close:
        if len(close) < MIN_CHOICES:
            close = ranked[:MIN_CHOICES]
        return Decision(None, close, ranked)
    return Decision(None, [], ranked)
