"""Compare two runs: metric deltas, regressions against the base, gates from thresholds.toml.

A metric fails the gate when it is below its `[min]` or above its `[max]` in thresholds.toml,
or when it got worse than the base run by more than its `[tolerance]` (default
`tolerance.default`). Metrics with direction "none" (cases) and the latencies are reported only:
latency depends on the machine, so it has no gate.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.metrics import METRICS, Metric

THRESHOLDS = Path(__file__).resolve().parent / "thresholds.toml"
UNGATED = frozenset({"cases", "latency_ms_p50", "latency_ms_p95"})


@dataclass(frozen=True)
class Thresholds:
    minimum: dict[str, float]
    maximum: dict[str, float]
    tolerance: dict[str, float]

    @classmethod
    def load(cls, path: Path = THRESHOLDS) -> Thresholds:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        known = {m.key for m in METRICS} | {"default"}
        for section in ("min", "max", "tolerance"):
            unknown = set(data.get(section, {})) - known
            if unknown:
                raise ValueError(f"{path}: unknown metric(s) in [{section}]: {sorted(unknown)}")
        return cls(data.get("min", {}), data.get("max", {}), data.get("tolerance", {}))

    def allowed_drop(self, key: str) -> float:
        return float(self.tolerance.get(key, self.tolerance.get("default", 0.0)))


@dataclass(frozen=True)
class Row:
    metric: Metric
    base: float | None
    new: float | None
    regression: bool
    gate: str  # "" when fine, otherwise why it fails

    @property
    def delta(self) -> float | None:
        return None if self.base is None or self.new is None else self.new - self.base

    @property
    def improved(self) -> bool:
        d = self.delta
        if d is None or self.metric.better == "none" or d == 0:
            return False
        return (d > 0) == (self.metric.better == "higher")


def compare(base: dict[str, Any], new: dict[str, Any], thresholds: Thresholds) -> list[Row]:
    return [_row(m, base.get(m.key), new.get(m.key), thresholds) for m in METRICS]


def _row(metric: Metric, base: Any, new: Any, t: Thresholds) -> Row:
    reasons = []
    worse = False
    if new is not None and metric.key not in UNGATED:
        low, high = t.minimum.get(metric.key), t.maximum.get(metric.key)
        if low is not None and new < low:
            reasons.append(f"onder minimum {low}")
        if high is not None and new > high:
            reasons.append(f"boven maximum {high}")
    if base is not None and new is not None and metric.better != "none":
        drop = (base - new) if metric.better == "higher" else (new - base)
        worse = drop > 1e-9
        if metric.key not in UNGATED and drop > t.allowed_drop(metric.key) + 1e-9:
            reasons.append(f"slechter dan basis (marge {t.allowed_drop(metric.key)})")
    if base is not None and new is None and metric.key not in UNGATED:
        reasons.append("ontbreekt in nieuwe run")
    return Row(metric, base, new, worse, "; ".join(reasons))


def failed(rows: list[Row]) -> list[Row]:
    return [r for r in rows if r.gate]


def fmt(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3f}".rstrip("0").rstrip(".") or "0"


def table(rows: list[Row]) -> str:
    """A plain-text table for the terminal."""
    lines = [f"{'metric':34} {'basis':>9} {'nieuw':>9} {'delta':>9}  status"]
    for r in rows:
        delta = "–" if r.delta is None else f"{r.delta:+.3f}"
        status = "FOUT: " + r.gate if r.gate else ("slechter" if r.regression else "")
        status = status or ("beter" if r.improved else "ok")
        lines.append(f"{r.metric.key:34} {fmt(r.base):>9} {fmt(r.new):>9} {delta:>9}  {status}")
    return "\n".join(lines)
