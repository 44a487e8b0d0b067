"""Learned guard heads on e5 embeddings: crisis, crisis kind, medical advice, out of scope and
distress. Trained by `make train-guards` (guardrails/classifier/train.py) from the data in
guardrails/classifier/data/; the weights are the committed weights.json."""

from guardrails.classifier.heads import WEIGHTS_FILE, Heads
from guardrails.classifier.scorer import GuardClassifier, GuardScores

__all__ = ["WEIGHTS_FILE", "GuardClassifier", "GuardScores", "Heads"]
