"""`GuardClassifier`: scores one message with both views of the heads.

- crisis, medical, out of scope, distress: the whole message, read by both views (e5 reads
  its first 128 tokens, the n-grams read all of it), probabilities averaged. Cross-validated
  on the training data, the whole message beat every per-sentence aggregation: a sentence read
  alone loses the context that makes "ik wilde dood" a past or quoted statement (README).
- window: the highest e5 crisis probability of any sentence or window of two or three
  sentences (read in the order of the n-gram view's risk, within a word budget). A cue buried
  in a long message raises at least a concern: the answer then comes with human contacts.
- kind: the mean of both views' kind probabilities on the whole message.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from guardrails.classifier.heads import Heads, ngram_vectorizer
from guardrails.classifier.segments import Segments, segment_units, units
from wegwijs.embedding import Embedder

RISK_HEADS = ("crisis", "medical", "distress")  # what decides which sentences e5 reads first


@dataclass(frozen=True)
class GuardScores:
    crisis: float
    kind: str
    medical: float
    scope: float
    distress: float
    window: float = 0.0  # the highest crisis probability of a sentence or window


class GuardClassifier:
    """e5 embeddings of the message and its segments (one batch), n-grams, then the heads."""

    def __init__(self, embedder: Embedder, heads: Heads | None = None) -> None:
        self.embedder = embedder
        self.heads = heads or Heads.load()
        self._ngrams = ngram_vectorizer()
        if embedder.dim != self.heads.dim:
            raise ValueError(
                f"guard heads expect {self.heads.dim}-d embeddings, the embedder gives "
                f"{embedder.dim}: retrain them with `make train-guards` for this model"
            )

    def segments(self, text: str) -> Segments:
        parts = units(text)
        if len(parts) == 1:
            return segment_units(parts)
        grams = self._ngrams.transform(parts)
        risk = np.max([self.heads.ngrams.binary[h].probability(grams) for h in RISK_HEADS], axis=0)
        return segment_units(parts, [float(r) for r in risk])

    def score(self, text: str) -> GuardScores:
        segments = self.segments(text)
        several = segments.units > 1  # one sentence: the message is its only segment
        # Two encoder calls, not one: in one batch every short sentence would be padded to the
        # whole message's length (measured: p95 196 ms in one batch, 145 ms in two).
        whole = self.embedder.embed_queries([text])
        parts = self.embedder.embed_queries(list(segments.texts)) if several else whole[:0]
        grams = self._ngrams.transform([text])
        e5, ngrams = self.heads.e5, self.heads.ngrams

        def both(head: str) -> float:
            return float(
                (e5.binary[head].probability(whole)[0] + ngrams.binary[head].probability(grams)[0])
                / 2
            )

        kinds = (e5.kind.probabilities(whole)[0] + ngrams.kind.probabilities(grams)[0]) / 2
        window = e5.binary["crisis"].probability(parts) if several else np.zeros(1)
        return GuardScores(
            crisis=both("crisis"),
            kind=e5.kind.classes[int(np.argmax(kinds))],
            medical=both("medical"),
            scope=both("scope"),
            distress=both("distress"),
            window=float(np.max(window)),
        )
