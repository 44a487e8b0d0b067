"""Loads `corpus/contacts.yaml`: crisis and support contacts. Must work with every service down."""

from __future__ import annotations

from pathlib import Path

import yaml

from wegwijs.domain import Contact


def load_contacts(path: Path) -> list[Contact]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    contacts = [
        Contact(
            id=str(item["id"]),
            name=str(item["name"]),
            phones=tuple(str(p) for p in item.get("phones", [])),
            situations=tuple(item.get("situations", [])),
            hours=str(item.get("hours", "")),
            url=str(item.get("url", "")),
            chat_url=str(item.get("chat_url", "")),
            available_24_7=bool(item.get("available_24_7", False)),
            priority=int(item.get("priority", 100)),
        )
        for item in data.get("contacts", [])
    ]
    return sorted(contacts, key=lambda c: c.priority)
