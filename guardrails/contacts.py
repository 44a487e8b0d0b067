"""Choosing the human contacts for a crisis reply: by situation, and only if open now."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from wegwijs.contacts import LAST_RESORT_CONTACTS, ContactsError, load_contacts
from wegwijs.domain import Contact

ROUTING_FILE = Path(__file__).parent / "crisis" / "routing.yaml"
NATIONAL_CONTACTS = Path(__file__).parent / "data" / "national_contacts.yaml"
CRISIS_SITUATIONS = ("suicide", "violence", "emergency")
_HOURS = re.compile(r"(\d{1,2})[:.](\d{2})\s*(?:-|–|tot)\s*(\d{1,2})[:.](\d{2})")
log = logging.getLogger(__name__)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
Clock = Callable[[], datetime]


def amsterdam_now() -> datetime:
    return datetime.now(AMSTERDAM)


@dataclass(frozen=True)
class CrisisContacts:
    """The contacts a crisis reply may use, and what went wrong loading them (None: nothing)."""

    contacts: list[Contact]
    problem: str | None = None


def crisis_contacts(path: Path) -> CrisisContacts:
    """Contacts from corpus/contacts.yaml, topped up with the national lines it lacks.

    Never raises: a missing or broken file means the national lines (said in the log and on
    /readyz); if those cannot be read either, the lines built into the code."""
    problem = None
    try:
        contacts = load_contacts(path) if path.exists() else []
    except ContactsError as error:
        problem = f"{error}; using the national crisis lines"
        log.error("contacts: %s", problem)
        contacts = []
    covered = {s for c in contacts if c.phones for s in c.situations}
    missing = [s for s in CRISIS_SITUATIONS if s not in covered]
    if missing:
        known = {c.id for c in contacts}
        try:
            national = load_contacts(NATIONAL_CONTACTS)
        except ContactsError as error:  # a broken install: the lines in the code still work
            log.error("contacts: %s; using the built-in crisis lines", error)
            national = list(LAST_RESORT_CONTACTS)
        for extra in national:
            if extra.id not in known and set(extra.situations) & set(missing):
                contacts.append(extra)
    return CrisisContacts(sorted(contacts, key=lambda c: c.priority), problem)


def load_crisis_contacts(path: Path) -> list[Contact]:
    return crisis_contacts(path).contacts


def is_open(contact: Contact, now: datetime) -> bool:
    """24/7 lines always; others only inside hours like '09:00-21:00' (unknown hours: no)."""
    if contact.available_24_7:
        return True
    match = _HOURS.search(contact.hours)
    if not match:
        return False
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end, current = time(h1, m1), time(h2 % 24, m2), now.timetz().replace(tzinfo=None)
    return start <= current < end if start < end else current >= start or current < end


class ContactRouter:
    """Orders contacts for a crisis kind (routing.yaml) and drops lines that are closed now."""

    def __init__(self, contacts: Sequence[Contact], clock: Clock = amsterdam_now) -> None:
        self.contacts = sorted(contacts, key=lambda c: c.priority)
        self.clock = clock
        routing = yaml.safe_load(ROUTING_FILE.read_text(encoding="utf-8"))
        self.routing: dict[str, list[str]] = {str(k): list(v) for k, v in routing.items()}

    def for_kinds(self, route_keys: Sequence[str]) -> list[Contact]:
        now = self.clock()
        chosen: list[Contact] = []
        for key in route_keys:
            for situation in self.routing.get(key, [key]):
                for contact in self._for_situation(situation):
                    reachable = bool(contact.phones or contact.chat_url)
                    if contact not in chosen and reachable and is_open(contact, now):
                        chosen.append(contact)
        return chosen

    def _for_situation(self, situation: str) -> list[Contact]:
        primary = [c for c in self.contacts if c.situations[:1] == (situation,)]
        secondary = [c for c in self.contacts if situation in c.situations[1:]]
        return primary + secondary
