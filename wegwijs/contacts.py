"""Loads `corpus/contacts.yaml`: crisis and support contacts. Must work with every service down.

A coordinator edits that file by hand, so it is validated here and every problem is reported as
`ContactsError` with the file name and line or item; the crisis path then falls back to the
national lines (guardrails/contacts.py) and, when even those cannot be read, to
`LAST_RESORT_CONTACTS` below, which need no file at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from wegwijs.domain import Contact
from wegwijs.links import is_source_url

Situation = Literal["suicide", "violence", "emergency", "talk", "dementia", "medical"]

# The national lines from shared/facts/contacts-and-sources.md, in code: the crisis reply
# always has a human to call, even when no contacts file can be read.
LAST_RESORT_CONTACTS: tuple[Contact, ...] = (
    Contact(
        id="112-alarmnummer",
        name="112 Alarmnummer",
        phones=("112",),
        situations=("emergency", "violence"),
        hours="Dag en nacht",
        available_24_7=True,
        priority=1,
    ),
    Contact(
        id="113-zelfmoordpreventie",
        name="113 Zelfmoordpreventie",
        phones=("113", "0800-0113"),
        situations=("suicide",),
        hours="Dag en nacht, gratis en anoniem",
        url="https://www.113.nl",
        chat_url="https://www.113.nl",
        available_24_7=True,
        priority=10,
    ),
)

# Shown when a message cannot be handled at all (a fault anywhere on the message path).
LAST_RESORT_TEXT = (
    "Er ging bij mij iets mis. Probeer het over een paar minuten opnieuw.\n\n"
    "Heb je nu iemand nodig? Denk je aan zelfdoding, of maak je je zorgen om iemand? "
    "Bel **113** of **0800-0113** (gratis, dag en nacht). Bij direct gevaar: bel **112**."
)


class ContactsError(ValueError):
    """The contacts file cannot be used; the message names the file and the line or item."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="allow")  # `checked` and `source` document the entry

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    phones: list[str] = []
    situations: list[Situation] = []
    hours: str = ""
    url: str = ""
    chat_url: str = ""
    available_24_7: bool = False
    priority: int = 100

    @field_validator("url", "chat_url")
    @classmethod
    def _https(cls, url: str) -> str:
        if url and not is_source_url(url):
            raise ValueError(f"{url!r} is no plain https:// address")
        return url

    @field_validator("phones")
    @classmethod
    def _dialable(cls, phones: list[str]) -> list[str]:
        for phone in phones:
            if not any(ch.isdigit() for ch in phone):
                raise ValueError(f"{phone!r} is no phone number")
        return phones


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contacts: list[_Entry] = []


def load_contacts(path: Path) -> list[Contact]:
    """The contacts in `path`, by priority; raises `ContactsError` on any problem with the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ContactsError(f"{path.name}: cannot be read ({type(error).__name__})") from error
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path.name}:{mark.line + 1}" if mark is not None else path.name
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise ContactsError(f"{where}: {problem}") from error
    try:
        parsed = _File.model_validate(data if data is not None else {})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'file'}: {item['msg']}"
            for item in error.errors()
        )
        raise ContactsError(f"{path.name}: {problems}") from error
    ids = [entry.id for entry in parsed.contacts]
    if duplicates := sorted({i for i in ids if ids.count(i) > 1}):
        raise ContactsError(f"{path.name}: duplicate id {', '.join(duplicates)}")
    contacts = [
        Contact(
            id=entry.id,
            name=entry.name,
            phones=tuple(entry.phones),
            situations=tuple(entry.situations),
            hours=entry.hours,
            url=entry.url,
            chat_url=entry.chat_url,
            available_24_7=entry.available_24_7,
            priority=entry.priority,
        )
        for entry in parsed.contacts
    ]
    return sorted(contacts, key=lambda c: c.priority)
