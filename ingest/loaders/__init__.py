"""Loaders turn a corpus file into a SourceDocument.

An unreadable file is a Problem, never a crash."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from ingest.loaders.html import html_to_markdown
from ingest.loaders.pdf import pdf_to_text
from ingest.metadata import parse_yaml, split_front_matter, validate_meta
from ingest.problems import Problem, error
from wegwijs.domain import SourceDocument

DOCUMENT_SUFFIXES = (".md", ".html", ".htm", ".pdf", ".txt")
MAX_FILE_BYTES = 20 * 1024 * 1024


def discover(docs_dir: Path) -> list[Path]:
    return sorted(
        p for p in docs_dir.rglob("*") if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES
    )


def load_document(
    path: Path, root: Path, today: date
) -> tuple[SourceDocument | None, list[Problem]]:
    rel = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None, [error(rel, 1, "bestand is groter dan 20 MB en is overgeslagen")]
        raw = path.read_bytes()
    except OSError as exc:
        return None, [error(rel, 1, f"bestand kan niet gelezen worden ({exc.strerror})")]
    if path.suffix.lower() == ".md":
        return _markdown(raw, rel, today)
    return _with_sidecar(path, raw, rel, today)


def _decode(raw: bytes, rel: str) -> tuple[str | None, list[Problem]]:
    if b"\x00" in raw[:4096]:
        return None, [error(rel, 1, "bestand is binair, geen tekst")]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [error(rel, line, "tekst is geen geldige UTF-8")]


def _markdown(raw: bytes, rel: str, today: date) -> tuple[SourceDocument | None, list[Problem]]:
    text, problems = _decode(raw, rel)
    if text is None:
        return None, problems
    front, body, body_line = split_front_matter(text)
    if front is None:
        return None, [error(rel, 1, "front matter (tussen twee regels '---') ontbreekt")]
    meta, yaml_problems = parse_yaml(front, rel, offset=1)
    if yaml_problems:
        return None, yaml_problems
    fields, problems = validate_meta(meta, rel, front, 2, today)
    if fields is None:
        return None, problems
    if not body.strip():
        return None, [*problems, error(rel, body_line, "document heeft geen tekst")]
    return _document(fields, rel, body, raw), problems


def _with_sidecar(
    path: Path, raw: bytes, rel: str, today: date
) -> tuple[SourceDocument | None, list[Problem]]:
    sidecar = path.with_name(path.name + ".meta.yaml")
    if not sidecar.exists():
        return None, [
            error(
                rel,
                1,
                f"metadata ontbreekt: maak {sidecar.name} met id, title, law, "
                "sources, checked en review_by",
            )
        ]
    side_rel = rel + ".meta.yaml"
    side_text = sidecar.read_text(encoding="utf-8", errors="replace")
    meta, problems = parse_yaml(side_text, side_rel)
    if problems:
        return None, problems
    fields, problems = validate_meta(meta, side_rel, side_text, 1, today)
    if fields is None:
        return None, problems
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            body = pdf_to_text(raw)
        else:
            text, decode_problems = _decode(raw, rel)
            if text is None:
                return None, [*problems, *decode_problems]
            body = html_to_markdown(text) if suffix in (".html", ".htm") else text
    except Exception as exc:  # noqa: BLE001 - any parser failure means: skip this file
        return None, [*problems, error(rel, 1, f"bestand kan niet gelezen worden: {exc}")]
    if not body.strip():
        return None, [*problems, error(rel, 1, "geen tekst gevonden in het bestand")]
    return _document(fields, rel, body, raw + side_text.encode()), problems


def _document(fields: dict[str, object], rel: str, body: str, raw: bytes) -> SourceDocument:
    return SourceDocument(
        path=rel,
        text=body,
        content_hash=hashlib.sha256(raw).hexdigest()[:16],
        **fields,  # type: ignore[arg-type]
    )
