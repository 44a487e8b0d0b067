"""User-facing Dutch texts live in files (ui/texts/*.nl.md), so coordinators can edit them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

TEXTS = Path(__file__).resolve().parent / "texts"


@cache
def text(name: str) -> str:
    return (TEXTS / f"{name}.nl.md").read_text(encoding="utf-8").strip()
