"""A disk cache around the real embedder, so the test suite embeds each text once per machine.

Vectors are keyed by the model folder, the e5 prefix and the text; the cache lives in pytest's
cache directory (.pytest_cache), so a corpus edit only re-embeds what changed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from wegwijs.embedding import Embedder, Vectors


class CachedEmbedder:
    def __init__(self, inner: Embedder, folder: Path, model_key: str) -> None:
        self.inner = inner
        self.dim = inner.dim
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.model_key = model_key
        self.file = folder / f"{hashlib.sha1(model_key.encode()).hexdigest()[:12]}.npz"
        self.vectors: dict[str, np.ndarray] = {}
        if self.file.exists():
            with np.load(self.file) as data:
                self.vectors = {key: data[key] for key in data.files}
        self.dirty = False

    def _key(self, kind: str, text: str) -> str:
        return hashlib.sha1(f"{kind}\x00{text}".encode()).hexdigest()

    def _get(self, kind: str, texts: list[str]) -> Vectors:
        keys = [self._key(kind, t) for t in texts]
        missing = [i for i, k in enumerate(keys) if k not in self.vectors]
        if missing:
            todo = [texts[i] for i in missing]
            fresh = (
                self.inner.embed_queries(todo) if kind == "q" else self.inner.embed_passages(todo)
            )
            for i, vector in zip(missing, fresh, strict=True):
                self.vectors[keys[i]] = vector
            self.dirty = True
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.vectors[k] for k in keys]).astype(np.float32)

    def embed_queries(self, texts: list[str]) -> Vectors:
        return self._get("q", texts)

    def embed_passages(self, texts: list[str]) -> Vectors:
        return self._get("p", texts)

    def save(self) -> None:
        if self.dirty:
            tmp = self.file.with_suffix(".tmp.npz")
            np.savez(tmp, *(), **self.vectors)  # type: ignore[arg-type]
            tmp.replace(self.file)
            self.dirty = False
