"""FAQ entries as files in `corpus/faq/<id>.yaml`: read for the form, validate, save, retire.

A file is validated with the same loader the ingest uses (`ingest.faq.load_faq_file`) before it
replaces the old one, so the corpus never holds an entry the chat cannot load.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from ingest.faq import load_faq_file
from ingest.metadata import ID_PATTERN
from ingest.problems import Problem


@dataclass
class FaqForm:
    id: str = ""
    question: str = ""
    variants: list[str] = field(default_factory=list)
    answer: str = ""
    law: str = "algemeen"
    sources: list[str] = field(default_factory=list)
    owner: str = ""
    review_by: str = ""
    retired: bool = False

    def to_yaml(self) -> str:
        data: dict[str, Any] = {
            "id": self.id,
            "question": self.question.strip(),
            "variants": [v.strip() for v in self.variants if v.strip()],
            "answer": self.answer.strip().replace("\r\n", "\n") + "\n",
            "law": self.law,
            "sources": [s.strip() for s in self.sources if s.strip()],
            "owner": self.owner.strip(),
            "review_by": self.review_by.strip() or None,
        }
        if self.retired:
            data["retired"] = True
        return yaml.dump(data, Dumper=_BlockDumper, allow_unicode=True, sort_keys=False, width=96)


class _BlockDumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _date(dumper: yaml.SafeDumper, value: date) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", value.isoformat())


_BlockDumper.add_representer(str, _str)
_BlockDumper.add_representer(date, _date)


def faq_dir(corpus_dir: Path) -> Path:
    return corpus_dir / "faq"


def path_for(corpus_dir: Path, entry_id: str) -> Path:
    if not ID_PATTERN.match(entry_id):
        raise ValueError("id: alleen a-z, 0-9 en '-'")
    return faq_dir(corpus_dir) / f"{entry_id}.yaml"


def read_form(corpus_dir: Path, entry_id: str) -> FaqForm | None:
    path = path_for(corpus_dir, entry_id)
    if not path.exists():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    review = data.get("review_by")
    return FaqForm(
        id=str(data.get("id", entry_id)),
        question=str(data.get("question", "")),
        variants=[str(v) for v in data.get("variants") or []],
        answer=str(data.get("answer", "")).strip(),
        law=str(data.get("law", "algemeen")),
        sources=[str(s) for s in data.get("sources") or []],
        owner=str(data.get("owner", "")),
        review_by=review.isoformat() if isinstance(review, date) else str(review or ""),
        retired=bool(data.get("retired", False)),
    )


def save_form(corpus_dir: Path, form: FaqForm, today: date, new: bool = False) -> list[Problem]:
    """Validate and write the entry; returns the problems (nothing is written on an error)."""
    from ingest.problems import error

    if not ID_PATTERN.match(form.id):
        return [error("formulier", 1, "id: alleen kleine letters a-z, cijfers en '-'")]
    target = path_for(corpus_dir, form.id)
    if new and target.exists():
        return [error("formulier", 1, f"er is al een vraag met id '{form.id}'")]
    text = form.to_yaml()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{form.id}.", suffix=".part", dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        entry, problems = load_faq_file(temp, corpus_dir, today)
        if entry is None:
            return problems
        os.replace(temp, target)
        return problems
    finally:
        temp.unlink(missing_ok=True)
