"""Provider listings (`corpus/providers/*.csv`) and the PC4-to-gemeente table."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from ingest.metadata import URL_HINT
from ingest.problems import Problem, error, warning
from wegwijs.domain import SERVICE_TYPES, Provider
from wegwijs.links import is_source_url

COLUMNS = (
    "name",
    "services",
    "municipalities",
    "postcode_ranges",
    "phone",
    "url",
    "example",
    "description",
)
RANGE = re.compile(r"^(\d{4})(?:-(\d{4}))?$")
PHONE = re.compile(r"^\+?[0-9][0-9 \-]{2,15}$")
# A cell that starts with one of these runs as a formula when the file is opened in a
# spreadsheet (OWASP "CSV injection"). Such a cell is refused, not rewritten: the same file feeds
# the chat, where a quote in front of a name would show. The phone column is the one place a
# leading "+" is normal; it only passes when it is a phone number (digits, spaces, dashes). No
# column holds a number that can be negative (postcodes are four digits).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SHOWN = {"\t": "een tab", "\r": "een regeleinde"}


def parse_providers_csv(text: str, rel: str) -> tuple[list[Provider], list[Problem]]:
    """Validate every row; rows with errors are reported and left out. A file the csv module
    cannot read at all is one problem, never an exception."""
    try:
        return _parse_providers_csv(text, rel)
    except csv.Error as exc:
        return [], [error(rel, 1, f"geen geldige CSV ({exc})")]


def _parse_providers_csv(text: str, rel: str) -> tuple[list[Provider], list[Problem]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        return [], [error(rel, 1, f"kolommen ontbreken: {', '.join(missing)}")]
    providers: list[Provider] = []
    problems: list[Problem] = [
        _formula(rel, 1, "kopregel", str(name))
        for name in reader.fieldnames or []
        if _starts_formula(name)
    ]
    if problems:
        return [], problems
    for row in reader:
        line = reader.line_num
        row_problems = _formula_cells(row, rel, line)
        name = (row.get("name") or "").strip()
        if not name:
            row_problems.append(error(rel, line, "naam ontbreekt"))
        services = _split(row.get("services"))
        for service in services:
            if service not in SERVICE_TYPES:
                row_problems.append(error(rel, line, f"onbekende dienst '{service}'"))
        if not services:
            row_problems.append(error(rel, line, "geen diensten ingevuld"))
        municipalities = _split(row.get("municipalities"))
        if not municipalities:
            row_problems.append(error(rel, line, "geen gemeente ingevuld"))
        ranges: list[tuple[int, int]] = []
        for item in _split(row.get("postcode_ranges")):
            match = RANGE.match(item)
            if not match or int(match.group(1)) < 1000:
                row_problems.append(error(rel, line, f"ongeldige postcode(reeks) '{item}'"))
                continue
            low, high = int(match.group(1)), int(match.group(2) or match.group(1))
            if high < low:
                row_problems.append(error(rel, line, f"postcodereeks loopt terug: '{item}'"))
                continue
            ranges.append((low, high))
        phone = (row.get("phone") or "").strip()
        if phone and not PHONE.match(phone):
            row_problems.append(error(rel, line, f"ongeldig telefoonnummer '{phone}'"))
        example = (row.get("example") or "").strip().lower()
        if example not in ("true", "false"):
            row_problems.append(error(rel, line, "'example' moet true of false zijn"))
        url = (row.get("url") or "").strip()
        if url and not is_source_url(url):
            row_problems.append(error(rel, line, f"url is geen URL: '{url}' ({URL_HINT})"))
        problems.extend(row_problems)
        if any(p.severity == "error" for p in row_problems):
            continue
        providers.append(
            Provider(
                name=name,
                services=tuple(services),
                municipalities=tuple(municipalities),
                postcode_ranges=tuple(ranges),
                phone=phone,
                url=url,
                example=example == "true",
                description=(row.get("description") or "").strip(),
            )
        )
    return providers, problems


def load_providers(directory: Path, root: Path) -> tuple[list[Provider], list[Problem]]:
    providers: list[Provider] = []
    problems: list[Problem] = []
    for path in sorted(directory.glob("*.csv")) if directory.exists() else []:
        rel = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            problems.append(error(rel, 1, "bestand kan niet gelezen worden als UTF-8-tekst"))
            continue
        found, found_problems = parse_providers_csv(text, rel)
        providers.extend(found)
        problems.extend(found_problems)
    return providers, problems


def load_pc4_table(path: Path, root: Path) -> tuple[dict[str, str], list[Problem]]:
    """PC4 -> gemeente name. Missing table: empty mapping (no local lookup), reported."""
    rel = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    if not path.exists():
        return {}, [warning(rel, 1, "postcodetabel ontbreekt: geen lokale antwoorden")]
    table: dict[str, str] = {}
    problems: list[Problem] = []
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    for row in reader:
        pc4 = (row.get("pc4") or "").strip()
        gemeente = (row.get("gemeente") or "").strip()
        if not re.fullmatch(r"\d{4}", pc4) or not gemeente:
            problems.append(error(rel, reader.line_num, f"ongeldige regel: pc4='{pc4}'"))
            continue
        if pc4 in table and table[pc4] != gemeente:
            problems.append(error(rel, reader.line_num, f"pc4 {pc4} staat twee keer in de tabel"))
        table[pc4] = gemeente
    return table, problems


def _starts_formula(value: str) -> bool:
    return value.startswith(FORMULA_START) or value.lstrip(" ").startswith(FORMULA_START)


def _formula(rel: str, line: int, column: str, value: str) -> Problem:
    first = value.lstrip(" ")[:1]
    shown = SHOWN.get(first, f"'{first}'")
    return error(
        rel,
        line,
        f"kolom '{column}' begint met {shown}. Een spreadsheet kan dat uitvoeren als formule. "
        "Haal het teken weg.",
    )


def _formula_cells(row: dict[str | None, object], rel: str, line: int) -> list[Problem]:
    """Cells that a spreadsheet would run as a formula (every column, extra ones too)."""
    problems = []
    for column, value in row.items():
        cells = value if isinstance(value, list) else [value]
        for cell in (str(c) for c in cells if c):
            if column == "phone" and PHONE.match(cell.strip()):
                continue  # +31 6 ...: a phone number, not a formula
            if _starts_formula(cell):
                problems.append(_formula(rel, line, str(column or "extra"), cell))
    return problems


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]
