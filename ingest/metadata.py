"""Front matter: parse YAML with line numbers and validate the document fields."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import yaml

from ingest.problems import Problem, error, warning
from wegwijs.domain import Law, Legal, ReadMore
from wegwijs.legal import is_law_text, legal_link
from wegwijs.links import is_source_url

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# Shown with a refused URL: what a source URL must look like (wegwijs.links.SOURCE_URL).
URL_HINT = "alleen https://, zonder spaties, haakjes of < >"
REQUIRED = ("id", "title", "law", "sources", "checked", "review_by")
KNOWN = frozenset((*REQUIRED, "municipalities", "audience", "needs_review", "read_more", "legal"))


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """Return (front matter, body, line number where the body starts)."""
    if not text.startswith("---"):
        return None, text, 1
    lines = text.splitlines(keepends=True)
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 2
    return None, text, 1


def key_line(front: str, key: str, offset: int = 1) -> int:
    for number, line in enumerate(front.splitlines(), start=offset):
        if line.startswith(f"{key}:"):
            return number
    return offset


# libyaml's safe loader when PyYAML was built with it: the same data, ~15x faster (a card
# list page reads every card file).
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """`yaml.safe_load`, faster; raises `yaml.YAMLError`."""
    return yaml.load(text, Loader=SAFE_LOADER)


def parse_yaml(text: str, path: str, offset: int = 0) -> tuple[Any, list[Problem]]:
    try:
        return load_yaml(text), []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 1 + offset) if mark is not None else offset + 1
        problem = getattr(exc, "problem", None) or "ongeldige YAML"
        return None, [error(path, line, f"YAML kan niet gelezen worden: {problem}")]


def check_sources(value: Any, path: str, line: int, problems: list[Problem]) -> list[str]:
    """A list of https URLs; each problem is added to `problems`."""
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        problems.append(error(path, line, "'sources' moet een lijst van URL's zijn"))
        return []
    for source in value:
        if not is_source_url(str(source)):
            problems.append(error(path, line, f"bron is geen URL: '{source}' ({URL_HINT})"))
    return [str(s) for s in value]


def check_read_more(value: Any, path: str, line: int, problems: list[Problem]) -> ReadMore | None:
    """The readable source: required, a title and an https URL that is not a bare law text."""
    if value in (None, "", {}):
        problems.append(
            error(path, line, "veld 'read_more' ontbreekt: een leesbare pagina (title en url)")
        )
        return None
    if not isinstance(value, dict) or not value.get("url") or not value.get("title"):
        problems.append(error(path, line, "'read_more' moet 'title' en 'url' hebben"))
        return None
    url = str(value["url"]).strip()
    if not is_source_url(url):
        problems.append(error(path, line, f"read_more: geen URL: '{url}' ({URL_HINT})"))
        return None
    if is_law_text(url):
        problems.append(
            error(
                path, line, "read_more: een wettekst is geen leesbare bron; kies een uitlegpagina"
            )
        )
        return None
    return ReadMore(str(value["title"]).strip(), url)


def check_legal(value: Any, path: str, line: int, problems: list[Problem]) -> tuple[Legal, ...]:
    """Legal labels such as "Wmo 2015 art. 2.3.2"; the links are built from them."""
    if value in (None, "", []):
        return ()
    if not isinstance(value, list):
        problems.append(error(path, line, "'legal' moet een lijst zijn"))
        return ()
    found: list[Legal] = []
    for label in value:
        link = legal_link(str(label))
        if link is None:
            problems.append(
                error(
                    path,
                    line,
                    f"legal: '{label}' is geen wet + artikel (bv. 'Wmo 2015 art. 2.3.2')",
                )
            )
        else:
            found.append(link)
    return tuple(found)


def as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def validate_meta(
    meta: Any, path: str, front: str, offset: int, today: date
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Check document metadata; return the cleaned fields, or None when it cannot be used."""
    if not isinstance(meta, dict):
        return None, [error(path, offset, "front matter ontbreekt of is geen lijst van velden")]
    problems: list[Problem] = []

    def line(key: str) -> int:
        return key_line(front, key, offset)

    for key in REQUIRED:
        if meta.get(key) in (None, "", []):
            problems.append(error(path, offset, f"veld '{key}' ontbreekt"))
    for key in meta:
        if key not in KNOWN:
            problems.append(warning(path, line(str(key)), f"onbekend veld '{key}'"))
    doc_id = str(meta.get("id", ""))
    if doc_id and not ID_PATTERN.match(doc_id):
        problems.append(error(path, line("id"), f"id '{doc_id}': alleen a-z, 0-9 en '-'"))
    law = meta.get("law")
    if law is not None and law not in Law.__members__:
        allowed = ", ".join(Law.__members__)
        problems.append(error(path, line("law"), f"onbekende wet '{law}' (kies uit: {allowed})"))
    sources = check_sources(meta.get("sources"), path, line("sources"), problems)
    dates: dict[str, date | None] = {}
    for key in ("checked", "review_by"):
        dates[key] = as_date(meta.get(key))
        if meta.get(key) is not None and dates[key] is None:
            problems.append(error(path, line(key), f"'{key}' is geen datum (JJJJ-MM-DD)"))
    review_by = dates["review_by"]
    if review_by is not None and review_by < today:
        problems.append(
            warning(path, line("review_by"), f"controledatum {review_by} is voorbij: controleer")
        )
    municipalities = meta.get("municipalities") or []
    if not isinstance(municipalities, list):
        problems.append(error(path, line("municipalities"), "'municipalities' moet een lijst zijn"))
        municipalities = []
    read_more = check_read_more(meta.get("read_more"), path, line("read_more"), problems)
    legal = check_legal(meta.get("legal"), path, line("legal"), problems)
    if any(p.severity == "error" for p in problems):
        return None, problems
    cleaned = {
        "id": doc_id,
        "title": str(meta["title"]),
        "law": Law(str(law)),
        "sources": tuple(str(s) for s in sources),
        "checked": dates["checked"],
        "review_by": review_by,
        "municipalities": tuple(str(m) for m in municipalities),
        "audience": str(meta.get("audience", "")),
        "read_more": read_more,
        "legal": legal,
    }
    return cleaned, problems
