"""Corpus problems reported as `file:line: message`, for coordinators."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    error = "error"
    warning = "warning"


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    severity: Severity
    message: str

    def __str__(self) -> str:
        label = "fout" if self.severity is Severity.error else "waarschuwing"
        return f"{self.path}:{self.line}: {label}: {self.message}"

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.path,
            "line": self.line,
            "severity": self.severity.value,
            "message": self.message,
        }


def error(path: str, line: int, message: str) -> Problem:
    return Problem(path, line, Severity.error, message)


def warning(path: str, line: int, message: str) -> Problem:
    return Problem(path, line, Severity.warning, message)
