"""Answer cards as files: the organisation's FAQ in `corpus/faq/<id>.yaml` and the Wegwijs
library in `corpus/cards/<group>/<id>.yaml`. Read for the form, validate, save, approve, retire.

A file is validated with the same loader the ingest uses (`ingest.cards.load_card_file`) before
it replaces the old one, so the corpus never holds a card the chat cannot load. Fields the form
does not show (facets, topic, next, checked) are kept as they are.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from ingest.cards import load_card_file, load_named_card_file
from ingest.corpus import card_files
from ingest.last_good import LastGood
from ingest.metadata import ID_PATTERN, load_yaml
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
    read_more_title: str = ""
    read_more_url: str = ""
    legal: list[str] = field(default_factory=list)
    status: str = "approved"  # approved (the organisation's) | library (Wegwijs)
    extra: dict[str, Any] = field(default_factory=dict)  # fields the form does not edit

    def to_yaml(self) -> str:
        data: dict[str, Any] = {
            "id": self.id,
            "question": self.question.strip(),
            "variants": [v.strip() for v in self.variants if v.strip()],
            "answer": self.answer.strip().replace("\r\n", "\n") + "\n",
            "law": self.law,
            "sources": [s.strip() for s in self.sources if s.strip()],
            "read_more": {"title": self.read_more_title.strip(), "url": self.read_more_url.strip()}
            if self.read_more_url.strip() or self.read_more_title.strip()
            else None,
            "legal": [item.strip() for item in self.legal if item.strip()],
            "owner": self.owner.strip(),
            "review_by": self.review_by.strip() or None,
            "status": self.status,
        }
        data.update({k: v for k, v in self.extra.items() if k not in data})
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


EDITED = frozenset(
    ("id", "question", "variants", "answer", "law", "sources", "read_more", "legal", "owner",
     "review_by", "status", "retired")
)  # fmt: skip


def faq_dir(corpus_dir: Path) -> Path:
    return corpus_dir / "faq"


def cards_dir(corpus_dir: Path) -> Path:
    return corpus_dir / "cards"


def card_paths(corpus_dir: Path) -> list[Path]:
    """Every card file: the FAQ first, then the library."""
    return card_files(corpus_dir)


def path_for(corpus_dir: Path, entry_id: str) -> Path:
    """The card's file: an existing library card where it is, else corpus/faq/<id>.yaml."""
    if not ID_PATTERN.match(entry_id):
        raise ValueError("id: alleen a-z, 0-9 en '-'")
    found = (
        sorted(cards_dir(corpus_dir).rglob(f"{entry_id}.yaml"))
        if cards_dir(corpus_dir).exists()
        else []
    )
    return found[0] if found else faq_dir(corpus_dir) / f"{entry_id}.yaml"


@dataclass
class CardFile:
    """One card file as the pages see it: its fields for the form (None when the file is no
    card at all: bad YAML, a list), the problems the ingest reports for it, and its text."""

    path: Path
    rel: str
    form: FaqForm | None
    problems: list[Problem]
    text: str

    @property
    def broken(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    @property
    def edit_id(self) -> str | None:
        """The id its edit page has, if the pages can reach this file by its name."""
        stem = self.path.stem
        return stem if ID_PATTERN.match(stem) and self.path.name == f"{stem}.yaml" else None


def read_card_file(corpus_dir: Path, path: Path, today: date) -> CardFile:
    rel = str(path.relative_to(corpus_dir))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    problems = load_named_card_file(path, corpus_dir, today)[1]
    form = form_from_text(text, path.stem, _in_library(corpus_dir, path))
    return CardFile(path, rel, form, problems, text)


def scan_cards(corpus_dir: Path, today: date) -> list[CardFile]:
    return [read_card_file(corpus_dir, path, today) for path in card_paths(corpus_dir)]


def read_form(corpus_dir: Path, entry_id: str) -> FaqForm | None:
    """The card's fields; None when there is no such file or it is no card (bad YAML)."""
    path = path_for(corpus_dir, entry_id)
    if not path.exists():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return form_from_text(text, entry_id, _in_library(corpus_dir, path))


def form_for(corpus_dir: Path, card: CardFile, last_good: LastGood) -> tuple[FaqForm, bool]:
    """The fields to edit: the file's own; for a file that is no card (bad YAML, a list) the
    version the chat still serves (True), else an empty form with the file's id."""
    if card.form is not None:
        card.form.id = card.path.stem  # saving writes this file, with an id that matches it
        return card.form, False
    in_library = _in_library(corpus_dir, card.path)
    text = last_good.recall(card.rel)
    previous = form_from_text(text, card.path.stem, in_library) if text else None
    if previous is not None:
        previous.id = card.path.stem
        return previous, True
    return FaqForm(id=card.path.stem, status="library" if in_library else "approved"), False


def _in_library(corpus_dir: Path, path: Path) -> bool:
    return cards_dir(corpus_dir) in path.parents


def form_from_text(text: str, entry_id: str, in_library: bool) -> FaqForm | None:
    try:
        data = load_yaml(text) or {}
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict):
        return None
    review = data.get("review_by")
    raw_read_more = data.get("read_more")
    read_more: dict[str, Any] = raw_read_more if isinstance(raw_read_more, dict) else {}
    return FaqForm(
        id=str(data.get("id", entry_id)),
        question=str(data.get("question", "")),
        variants=_strings(data.get("variants")),
        answer=str(data.get("answer", "")).strip(),
        law=str(data.get("law", "algemeen")),
        sources=_strings(data.get("sources")),
        owner=str(data.get("owner", "")),
        review_by=review.isoformat() if isinstance(review, date) else str(review or ""),
        retired=bool(data.get("retired", False)),
        read_more_title=str(read_more.get("title", "")),
        read_more_url=str(read_more.get("url", "")),
        legal=_strings(data.get("legal")),
        status=str(data.get("status", "library" if in_library else "approved")),
        extra={str(k): v for k, v in data.items() if k not in EDITED},
    )


def _strings(value: object) -> list[str]:
    if value in (None, ""):
        return []
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


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
        entry, problems = load_card_file(temp, corpus_dir, today)
        if entry is None:
            return problems
        os.replace(temp, target)
        return problems
    finally:
        temp.unlink(missing_ok=True)
