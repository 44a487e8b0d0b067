"""A deterministic bag-of-words embedder for fast unit tests (no model). Not for answers."""

from __future__ import annotations

import hashlib
import re

import numpy as np

from wegwijs.embedding import Vectors


class HashingEmbedder:
    """Deterministic bag-of-words hashing embedder for fast unit tests. Not for answers."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def _encode(self, texts: list[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in re.findall(r"\w+", text.lower()):
                digest = hashlib.blake2b(token.encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
            norm = float(np.linalg.norm(out[row]))
            if norm:
                out[row] /= norm
        return out

    def embed_queries(self, texts: list[str]) -> Vectors:
        return self._encode(texts)

    def embed_passages(self, texts: list[str]) -> Vectors:
        return self._encode(texts)
