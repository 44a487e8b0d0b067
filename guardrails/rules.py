"""Guardrail rules as data: YAML files with lexicons and regex patterns, compiled once.

A rule file looks like::

    lexicon:
      MED: [paracetamol, "oxazepa?m", ...]     # regex alternatives, used as {MED}
    rules:
      - id: suicide.want_dead
        kind: suicide
        strength: strong            # strong: decides alone; weak: defused by a dampener;
                                    # marker: decides nothing, only marks a crisis as acute
        negatable: true             # a negation word just before the match cancels it
        acute: false                # acute danger: 112 first
        patterns: ['\\bwil\\s+dood\\b']
        requires: '...'             # optional: the sentence must also match this
        unless: '...'               # optional: the sentence must not match this
        dampeners: '...'            # optional (weak rules): a practical object that defuses it
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from guardrails.text import tokens_before

NEGATORS = frozenset({"geen", "niet", "nie", "nooit", "nee", "zonder", "not", "no", "never"})
_MACRO = re.compile(r"\{([A-Z_]+)\}")


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    strength: str
    patterns: tuple[re.Pattern[str], ...]
    negatable: bool = False
    acute: bool = False
    requires: re.Pattern[str] | None = None
    unless: re.Pattern[str] | None = None
    dampeners: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Hit:
    rule_id: str
    kind: str
    strong: bool
    marker: bool
    acute: bool
    dampened: bool
    sentence: int


class RuleSet:
    """A compiled set of rules for one category (crisis, medical, injection, output)."""

    def __init__(self, rules: list[Rule], negation_window: int = 4) -> None:
        self.rules = rules
        self.negation_window = negation_window

    @classmethod
    def from_yaml(cls, *paths: Path) -> RuleSet:
        rules: list[Rule] = []
        for path in paths:
            data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            lexicon = {
                name: "(?:" + "|".join(str(word) for word in words) + ")"
                for name, words in (data.get("lexicon") or {}).items()
            }
            rules.extend(_compile_rule(item, lexicon, path) for item in data.get("rules", []))
        return cls(rules)

    def scan(self, sentence: str, index: int = 0) -> list[Hit]:
        """All rule hits in one normalised sentence."""
        hits: list[Hit] = []
        for rule in self.rules:
            if rule.requires is not None and not rule.requires.search(sentence):
                continue
            if rule.unless is not None and rule.unless.search(sentence):
                continue
            if not any(self._live_match(rule, pattern, sentence) for pattern in rule.patterns):
                continue
            dampened = bool(rule.dampeners is not None and rule.dampeners.search(sentence))
            hits.append(
                Hit(
                    rule.id,
                    rule.kind,
                    rule.strength == "strong",
                    rule.strength == "marker",
                    rule.acute,
                    dampened,
                    index,
                )
            )
        return hits

    def _live_match(self, rule: Rule, pattern: re.Pattern[str], sentence: str) -> bool:
        for match in pattern.finditer(sentence):
            if not rule.negatable:
                return True
            before = tokens_before(sentence, match.start(), self.negation_window)
            if not NEGATORS.intersection(before):
                return True
        return False


def _compile(pattern: str, lexicon: dict[str, str], where: str) -> re.Pattern[str]:
    def expand(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in lexicon:
            raise ValueError(f"{where}: unknown lexicon entry {{{name}}}")
        return lexicon[name]

    return re.compile(_MACRO.sub(expand, pattern))


def _compile_rule(item: dict[str, Any], lexicon: dict[str, str], path: Path) -> Rule:
    where = f"{path.name}:{item.get('id', '?')}"
    strength = str(item.get("strength", "strong"))
    if strength not in {"strong", "weak", "marker"}:
        raise ValueError(f"{where}: strength must be strong, weak or marker")

    def optional(key: str) -> re.Pattern[str] | None:
        value = item.get(key)
        return _compile(str(value), lexicon, where) if value else None

    return Rule(
        id=str(item["id"]),
        kind=str(item.get("kind", "")),
        strength=strength,
        patterns=tuple(_compile(str(p), lexicon, where) for p in item["patterns"]),
        negatable=bool(item.get("negatable", False)),
        acute=bool(item.get("acute", False)),
        requires=optional("requires"),
        unless=optional("unless"),
        dampeners=optional("dampeners"),
    )
