"""Answer cards: the organisation's approved FAQ (`corpus/faq/*.yaml`, status "approved") and
the Wegwijs library (`corpus/cards/<group>/*.yaml`, status "library"). One loader for both;
the coordinator workspace validates an edited file with it before it is saved."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from ingest.last_good import LastGood
from ingest.metadata import (
    ID_PATTERN,
    as_date,
    check_legal,
    check_read_more,
    check_sources,
    key_line,
    parse_yaml,
)
from ingest.problems import Problem, error, warning
from wegwijs.domain import FOR_VALUES, SETTING_VALUES, Card, Facets, Law

CARD_FIELDS = ("id", "question", "variants", "answer", "law", "sources", "owner", "review_by")
STATUSES = ("approved", "library")
MIN_ANSWER_WORDS = 40
MAX_ANSWER_WORDS = 160
MAX_REVIEW_DAYS = 366
LIST_ITEM = re.compile(r"^([-*]|\d+\.)\s")
# An answer must open with a sentence of its own, not a fragment that leans on text before it.
DANGLING_OPENERS = re.compile(
    r"^(die|dan|dus|ook|en|maar|want|bijvoorbeeld|zoals|daarom|daarna|hierbij|deze)\b",
    re.IGNORECASE,
)


def opens_with_fragment(text: str) -> bool:
    """True when a text starts the way a cut-out fragment does: lower case, a list item, a
    dangling reference ("Die...", "Dan...", "Bijvoorbeeld...")."""
    first = text.strip()
    if not first:
        return True
    return bool(first[0].islower() or LIST_ITEM.match(first) or DANGLING_OPENERS.match(first))


def load_faq_file(path: Path, root: Path, today: date) -> tuple[Card | None, list[Problem]]:
    return load_card_file(path, root, today, default_status="approved")


def load_card_file(
    path: Path, root: Path, today: date, default_status: str = "library"
) -> tuple[Card | None, list[Problem]]:
    rel = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    text, problems = _read(path, rel)
    return parse_card(text, rel, today, default_status) if text is not None else (None, problems)


def _read(path: Path, rel: str) -> tuple[str | None, list[Problem]]:
    try:
        return path.read_text(encoding="utf-8"), []
    except (OSError, UnicodeDecodeError):
        return None, [error(rel, 1, "bestand kan niet gelezen worden als UTF-8-tekst")]


def parse_card(
    text: str, rel: str, today: date, default_status: str = "library"
) -> tuple[Card | None, list[Problem]]:
    """One card from its YAML text; `rel` is the file it came from (for `file:line`)."""
    data, problems = parse_yaml(text, rel)
    if problems:
        return None, problems
    if not isinstance(data, dict):
        return None, [error(rel, 1, "een kaart moet velden bevatten (id, question, ...)")]

    def line(key: str) -> int:
        return key_line(text, key)

    for key in CARD_FIELDS:
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
    read_more = check_read_more(data.get("read_more"), rel, line("read_more"), problems)
    legal = check_legal(data.get("legal"), rel, line("legal"), problems)
    review_by = as_date(data.get("review_by"))
    checked = as_date(data.get("checked"))
    if data.get("review_by") is not None and review_by is None:
        problems.append(error(rel, line("review_by"), "'review_by' is geen datum (JJJJ-MM-DD)"))
    elif review_by is not None and review_by < today:
        problems.append(warning(rel, line("review_by"), f"controledatum {review_by} is voorbij"))
    if data.get("checked") is not None and checked is None:
        problems.append(error(rel, line("checked"), "'checked' is geen datum (JJJJ-MM-DD)"))
    elif checked and review_by and (review_by - checked).days > MAX_REVIEW_DAYS:
        problems.append(
            warning(rel, line("review_by"), "controledatum ligt meer dan een jaar na 'checked'")
        )
    status = str(data.get("status", default_status))
    if status not in STATUSES:
        problems.append(error(rel, line("status"), f"status '{status}': kies approved of library"))
    answer = unwrap(str(data.get("answer", "")))
    words = len(answer.split())
    if words > MAX_ANSWER_WORDS:
        problems.append(warning(rel, line("answer"), f"antwoord heeft {words} woorden (max ~150)"))
    elif answer and words < MIN_ANSWER_WORDS:
        problems.append(warning(rel, line("answer"), f"antwoord heeft maar {words} woorden"))
    if answer and opens_with_fragment(answer):
        problems.append(
            error(
                rel,
                line("answer"),
                "antwoord begint als een los stuk (kleine letter, 'Die', 'Dan', een lijst)",
            )
        )
    facets = _facets(data.get("facets"), rel, line("facets"), problems)
    following = data.get("next") or []
    if not isinstance(following, list):
        problems.append(error(rel, line("next"), "'next' moet een lijst van kaart-id's zijn"))
        following = []
    next_ids, next_labels = [], []
    for item in following:  # "card-id" or {id: card-id, label: "Beginnende dementie"}
        if isinstance(item, dict) and item.get("id"):
            next_ids.append(str(item["id"]))
            next_labels.append(str(item.get("label") or ""))
        elif isinstance(item, str):
            next_ids.append(item)
            next_labels.append("")
        else:
            problems.append(error(rel, line("next"), f"next: '{item}' is geen kaart-id"))
    if any(p.severity == "error" for p in problems):
        return None, problems
    entry = Card(
        id=str(data["id"]),
        question=str(data["question"]).strip(),
        variants=tuple(str(v).strip() for v in variants),
        answer=answer,
        law=Law(data["law"]),
        sources=tuple(str(s) for s in sources),
        owner=str(data["owner"]),
        review_by=review_by,
        path=rel,
        retired=bool(data.get("retired", False)),
        status=status,
        topic=str(data.get("topic", "")),
        facets=facets,
        read_more=read_more,
        legal=legal,
        checked=checked,
        next=tuple(next_ids),
        next_labels=tuple(next_labels),
    )
    return entry, problems


def _facets(value: object, rel: str, line: int, problems: list[Problem]) -> Facets:
    if value in (None, {}):
        return Facets()
    if not isinstance(value, dict):
        problems.append(error(rel, line, "'facets' moet 'for' en/of 'setting' bevatten"))
        return Facets()
    parts: dict[str, tuple[str, ...]] = {}
    for key, allowed in (("for", FOR_VALUES), ("setting", SETTING_VALUES)):
        items = value.get(key) or ["iedereen"]
        items = [items] if isinstance(items, str) else items
        unknown = [str(v) for v in items if str(v) not in allowed]
        if unknown:
            problems.append(
                error(
                    rel,
                    line,
                    f"facets.{key}: onbekend {', '.join(unknown)} (kies uit {', '.join(allowed)})",
                )
            )
        parts[key] = tuple(str(v) for v in items if str(v) in allowed) or ("iedereen",)
    return Facets(for_=parts["for"], setting=parts["setting"])


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


def load_cards(
    folder: Path, root: Path, today: date, default_status: str, last_good: LastGood | None = None
) -> tuple[list[Card], list[Problem]]:
    """Every card file under `folder` (sub-folders included), retired ones left out. With
    `last_good`, a file that fails to load is replaced by its last good version (reported)."""
    entries: list[Card] = []
    problems: list[Problem] = []
    for path in sorted(folder.rglob("*.y*ml")) if folder.exists() else []:
        rel = str(path.relative_to(root))
        text, found = _read(path, rel)
        entry = None
        if text is not None:
            entry, found = parse_card(text, rel, today, default_status)
            entry = _named_right(path, rel, entry, found)
        if last_good is not None and entry is not None and text is not None:
            last_good.remember(rel, text)
        elif last_good is not None and entry is None:
            entry = _last_good_version(last_good, rel, today, default_status, found)
        problems.extend(found)
        if entry is not None and not entry.retired:
            entries.append(entry)
    return entries, problems


def load_named_card_file(path: Path, root: Path, today: date) -> tuple[Card | None, list[Problem]]:
    """A card file in the corpus as the ingest loads it (status by folder: faq/ approved,
    cards/ library), with the check that its name is `<id>.yaml`."""
    default_status = "approved" if path.is_relative_to(root / "faq") else "library"
    rel = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    entry, problems = load_card_file(path, root, today, default_status)
    return _named_right(path, rel, entry, problems), problems


def _named_right(path: Path, rel: str, entry: Card | None, problems: list[Problem]) -> Card | None:
    """The coordinator's pages find a card by its id: its file must be named `<id>.yaml`."""
    if entry is not None and path.name != f"{entry.id}.yaml":
        problems.append(error(rel, 1, f"de bestandsnaam moet {entry.id}.yaml zijn"))
        return None
    return entry


def _last_good_version(
    last_good: LastGood, rel: str, today: date, default_status: str, problems: list[Problem]
) -> Card | None:
    text = last_good.recall(rel)
    entry = parse_card(text, rel, today, default_status)[0] if text is not None else None
    if entry is not None:
        problems.append(
            warning(rel, 1, "de chat gebruikt de laatste goede versie tot de fout is opgelost")
        )
    return entry
