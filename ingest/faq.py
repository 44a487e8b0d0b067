"""FAQ entries (`corpus/faq/*.yaml`): the organisation's approved answers."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from ingest.metadata import ID_PATTERN, as_date, check_sources, key_line, parse_yaml
from ingest.problems import Problem, error, warning
from wegwijs.domain import FaqEntry, Law

FAQ_FIELDS = ("id", "question", "variants", "answer", "law", "sources", "owner", "review_by")
MAX_ANSWER_WORDS = 130
LIST_ITEM = re.compile(r"^([-*]|\d+\.)\s")


def load_faq_file(path: Path, root: Path, today: date) -> tuple[FaqEntry | None, list[Problem]]:
    rel = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None, [error(rel, 1, "bestand kan niet gelezen worden als UTF-8-tekst")]
    data, problems = parse_yaml(text, rel)
    if problems:
        return None, problems
    if not isinstance(data, dict):
        return None, [error(rel, 1, "een FAQ-bestand moet velden bevatten (id, question, ...)")]

    def line(key: str) -> int:
        return key_line(text, key)

    for key in FAQ_FIELDS:
        if data.get(key) in (None, "", []):
            problems.append(error(rel, 1, f"veld '{key}' ontbreekt"))
    if data.get("id") and not ID_PATTERN.match(str(data["id"])):
        problems.append(error(rel, line("id"), "id: alleen a-z, 0-9 en '-'"))
    if data.get("law") and data["law"] not in Law.__members__:
        problems.append(error(rel, line("law"), f"onbekende wet '{data['law']}'"))
    variants = data.get("variants") or []
    if not isinstance(variants, list):
        problems.append(error(rel, line("variants"), "'variants' moet een lijst zijn"))
        variants = []
    elif len(variants) < 3:
        problems.append(warning(rel, line("variants"), "minder dan 3 andere vraagvormen"))
    sources = check_sources(data.get("sources"), rel, line("sources"), problems)
    review_by = as_date(data.get("review_by"))
    if data.get("review_by") is not None and review_by is None:
        problems.append(error(rel, line("review_by"), "'review_by' is geen datum (JJJJ-MM-DD)"))
    elif review_by is not None and review_by < today:
        problems.append(warning(rel, line("review_by"), f"controledatum {review_by} is voorbij"))
    words = len(str(data.get("answer", "")).split())
    if words > MAX_ANSWER_WORDS:
        problems.append(warning(rel, line("answer"), f"antwoord heeft {words} woorden (max ~120)"))
    if any(p.severity == "error" for p in problems):
        return None, problems
    entry = FaqEntry(
        id=str(data["id"]),
        question=str(data["question"]).strip(),
        variants=tuple(str(v).strip() for v in variants),
        answer=unwrap(str(data["answer"])),
        law=Law(data["law"]),
        sources=tuple(str(s) for s in sources),
        owner=str(data["owner"]),
        review_by=review_by,
        path=rel,
        retired=bool(data.get("retired", False)),
    )
    return entry, problems


def unwrap(text: str) -> str:
    """Join hard-wrapped lines of a YAML block into paragraphs; keep blank lines and lists."""
    paragraphs = []
    for block in text.strip().split("\n\n"):
        lines: list[str] = []
        for line in (raw.strip() for raw in block.splitlines()):
            if lines and line and not LIST_ITEM.match(line):
                lines[-1] += " " + line  # a wrapped continuation
            elif line:
                lines.append(line)
        paragraphs.append("\n".join(lines))
    return "\n\n".join(p for p in paragraphs if p)


def load_faq(faq_dir: Path, root: Path, today: date) -> tuple[list[FaqEntry], list[Problem]]:
    entries: list[FaqEntry] = []
    problems: list[Problem] = []
    for path in sorted(faq_dir.glob("*.y*ml")) if faq_dir.exists() else []:
        entry, found = load_faq_file(path, root, today)
        problems.extend(found)
        if entry is not None and not entry.retired:
            entries.append(entry)
    return entries, problems
