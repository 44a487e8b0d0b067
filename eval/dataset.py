"""Eval datasets: JSONL files, one case per line, validated strictly.

Format (documented in eval/README.md):
    {"id": "q-001", "input": "...", "postcode": "4811 AB",
     "expect": {"route": "answer", "crisis_kind": ..., "laws_any": [...], "sources_any": [...],
                "must_mention_any": [["term", "synonym"], ...], "must_not_mention": [...],
                "pii": [...]}}
Unknown keys are an error that names file:line; missing optional keys are fine.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from wegwijs.domain import CrisisKind, Law, Route

E = TypeVar("E", Route, CrisisKind, Law)

CASE_KEYS = frozenset({"id", "input", "postcode", "expect"})
# The blind answer sets' own form: {"id", "question", "must_mention", "topic", "kind"}.
BLIND_KEYS = frozenset({"id", "question", "must_mention"})
EXPECT_KEYS = frozenset(
    {
        "route",
        "crisis_kind",
        "laws_any",
        "sources_any",
        "must_mention_any",
        "must_not_mention",
        "pii",
    }
)


class DatasetError(ValueError):
    """A dataset line that does not follow the format; the message starts with file:line."""


@dataclass(frozen=True)
class Expectation:
    route: Route | None = None
    crisis_kind: CrisisKind | None = None
    laws_any: tuple[str, ...] = ()
    sources_any: tuple[str, ...] = ()
    must_mention_any: tuple[tuple[str, ...], ...] = ()
    must_not_mention: tuple[str, ...] = ()
    pii: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    id: str
    input: str
    expect: Expectation = field(default_factory=Expectation)
    postcode: str | None = None
    origin: str = ""  # file:line, for error messages and the report


def load_datasets(paths: Sequence[Path]) -> list[Case]:
    """All cases of all files, in order. Ids must be unique across the files."""
    cases: list[Case] = []
    seen: dict[str, str] = {}
    for path in paths:
        for case in load_dataset(path):
            if case.id in seen:
                raise DatasetError(
                    f"{case.origin}: duplicate id {case.id!r} (first {seen[case.id]})"
                )
            seen[case.id] = case.origin
            cases.append(case)
    return cases


def load_dataset(path: Path) -> list[Case]:
    if not path.is_file():
        raise DatasetError(f"{path}: no such dataset file")
    lines = path.read_text(encoding="utf-8").splitlines()
    return [
        parse_case(line, f"{path}:{number}")
        for number, line in enumerate(lines, start=1)
        if line.strip()
    ]


def parse_case(line: str, origin: str) -> Case:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{origin}: not valid JSON ({exc.msg})") from exc
    if not isinstance(raw, dict):
        raise DatasetError(f"{origin}: expected a JSON object")
    if set(raw) >= BLIND_KEYS:  # a frozen blind answer set (eval/blind/answers_blind_*.jsonl)
        raw = {
            "id": raw["id"],
            "input": raw["question"],
            "expect": {"route": "answer", "must_mention_any": raw["must_mention"]},
        }
    _no_unknown(raw, CASE_KEYS, origin, "")
    case_id = _text(raw, "id", origin, required=True)
    text = _text(raw, "input", origin, required=True)
    postcode = _text(raw, "postcode", origin) or None
    expect = raw.get("expect", {})
    if not isinstance(expect, dict):
        raise DatasetError(f"{origin}: 'expect' must be an object")
    _no_unknown(expect, EXPECT_KEYS, origin, "expect.")
    return Case(case_id, text, _expectation(expect, origin), postcode, origin)


def _expectation(raw: dict[str, Any], origin: str) -> Expectation:
    route = _enum(Route, raw.get("route"), origin, "expect.route")
    kind = _enum(CrisisKind, raw.get("crisis_kind"), origin, "expect.crisis_kind")
    if kind is not None and route is not Route.crisis:
        raise DatasetError(f"{origin}: 'expect.crisis_kind' only goes with route 'crisis'")
    laws = _strings(raw, "laws_any", origin)
    for law in laws:
        _enum(Law, law, origin, "expect.laws_any")
    groups = raw.get("must_mention_any", [])
    if not isinstance(groups, list) or not all(_is_string_list(g) and g for g in groups):
        raise DatasetError(
            f"{origin}: 'expect.must_mention_any' must be a list of non-empty lists of strings"
        )
    return Expectation(
        route=route,
        crisis_kind=kind,
        laws_any=laws,
        sources_any=_strings(raw, "sources_any", origin),
        must_mention_any=tuple(tuple(g) for g in groups),
        must_not_mention=_strings(raw, "must_not_mention", origin),
        pii=_strings(raw, "pii", origin),
    )


def _no_unknown(raw: dict[str, Any], allowed: Iterable[str], origin: str, prefix: str) -> None:
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        names = ", ".join(repr(prefix + key) for key in unknown)
        known = ", ".join(sorted(allowed))
        raise DatasetError(f"{origin}: unknown key {names} (allowed: {known})")


def _text(raw: dict[str, Any], key: str, origin: str, required: bool = False) -> str:
    value = raw.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise DatasetError(f"{origin}: '{key}' must be a non-empty string")
    return value


def _strings(raw: dict[str, Any], key: str, origin: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not _is_string_list(value):
        raise DatasetError(f"{origin}: 'expect.{key}' must be a list of strings")
    return tuple(value)


def _is_string_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def _enum(kind: type[E], value: object, origin: str, key: str) -> E | None:
    if value is None:
        return None
    allowed = ", ".join(m.value for m in kind)
    if not isinstance(value, str):
        raise DatasetError(f"{origin}: {key} {value!r} is not one of: {allowed}")
    try:
        return kind(value)
    except ValueError:
        raise DatasetError(f"{origin}: {key} {value!r} is not one of: {allowed}") from None
