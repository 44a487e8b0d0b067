"""report.html: summary against the baseline, charts, and every failing case, for non-programmers.

Self-contained: the template (eval/templates/report.html) has inline CSS, the charts are inline
SVG made in eval/charts.py; nothing is loaded from the internet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from html import escape
from pathlib import Path
from string import Template
from typing import Any

from eval import charts
from eval.compare import Row, Thresholds, compare, fmt
from wegwijs.links import is_source_url

TEMPLATE = Path(__file__).resolve().parent / "templates" / "report.html"
ROUTES = ("answer", "crisis", "medical_refusal", "out_of_scope")
EXPLAIN = {
    "higher": "hoger is beter <small>(higher is better)</small>",
    "lower": "lager is beter <small>(lower is better)</small>",
    "none": "",
}


def render(
    summary: dict[str, Any],
    rows: Sequence[dict[str, Any]],
    baseline: dict[str, Any] | None,
    info: dict[str, str],
    thresholds: Thresholds | None = None,
) -> str:
    compared = compare(baseline or {}, summary, thresholds or Thresholds.load())
    first_run = [r for r in rows if r.get("run", 1) == 1]
    runs = max((int(r.get("run", 1)) for r in rows), default=1)
    failing = failing_rows(rows)
    values = {
        "generated": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "info": "".join(f"<li><b>{escape(k)}</b>: {escape(v)}</li>" for k, v in info.items()),
        "passed": str(sum(1 for r in first_run if r["passed"])),
        "total": str(len(first_run)),
        "summary_table": summary_table(compared, baseline is not None),
        "bars": charts.metric_bars(
            [
                (r.metric.label_nl, r.new, r.base, r.regression)
                for r in compared
                if r.metric.fraction
            ]
        ),
        "confusion": charts.confusion(*route_counts(first_run)),
        "histogram": charts.histogram([float(r["latency_ms"]) for r in first_run]),
        "failing_count": str(len(failing)),
        "failing": "".join(failing_case(r, n, runs) for r, n in failing)
        or "<p>Geen. Alles geslaagd.</p>",
    }
    return Template(TEMPLATE.read_text(encoding="utf-8")).substitute(values)


def summary_table(rows: Sequence[Row], has_baseline: bool) -> str:
    head = (
        "<tr><th>Meting <small>(metric)</small></th><th>Nieuw</th><th>Basis</th><th>Verschil</th>"
    )
    head += "<th>Richting</th><th>Oordeel</th></tr>"
    body = []
    for r in rows:
        delta = "–" if r.delta is None else f"{r.delta:+.3f}"
        if r.gate:
            verdict, css = "Niet goed: " + r.gate, "bad"
        elif r.regression:
            verdict, css = "Iets slechter, binnen de marge", "warn"
        elif r.improved:
            verdict, css = "Beter", "good"
        else:
            verdict, css = ("Gelijk" if has_baseline else "–"), ""
        body.append(
            f'<tr class="{css}"><td>{escape(r.metric.label_nl)}<br><small>{r.metric.key}</small>'
            f"</td><td>{fmt(r.new)}</td><td>{fmt(r.base)}</td><td>{delta}</td>"
            f"<td>{EXPLAIN[r.metric.better]}</td><td>{escape(verdict)}</td></tr>"
        )
    return f"<table>{head}{''.join(body)}</table>"


def route_counts(rows: Sequence[dict[str, Any]]) -> tuple[list[str], dict[tuple[str, str], int]]:
    counts = Counter((r["expected_route"], r["route"]) for r in rows if r.get("expected_route"))
    seen = {route for pair in counts for route in pair}
    labels = [r for r in ROUTES if r in seen] + sorted(seen - set(ROUTES))
    return labels or list(ROUTES), dict(counts)


def failing_rows(rows: Sequence[dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
    """The first failing row of every case id, with the number of runs in which it failed."""
    first: dict[str, dict[str, Any]] = {}
    count: Counter[str] = Counter()
    for row in rows:
        if not row["passed"]:
            first.setdefault(row["id"], row)
            count[row["id"]] += 1
    return [(row, count[key]) for key, row in first.items()]


def failing_case(row: dict[str, Any], failed_runs: int = 1, runs: int = 1) -> str:
    failures = "".join(f"<li>{escape(f)}</li>" for f in row["failures"])
    sources = ", ".join(escape(s) for s in row.get("sources", [])) or "geen"
    citations = "".join(
        f"<li>{citation_link(c)} "
        f"<small>({escape(c['id'])}, {escape(c['law'])})</small>"
        + (f"<br><q>{escape(c['quote'])}</q>" if c.get("quote") else "")
        + "</li>"
        for c in row["citations"]
    )
    return (
        f'<details class="case"><summary><b>{escape(row["id"])}</b> — '
        f"{escape(_short(row.get('question', ''), 110))}</summary>"
        f"<p><small>{escape(row.get('origin', ''))}"
        + (f" · fout in {failed_runs} van {runs} runs" if runs > 1 else "")
        + "</small></p>"
        f"<p><b>Vraag</b> <small>(na verwijderen persoonsgegevens)</small>: "
        f"{escape(row.get('question', ''))}</p>"
        f"<p><b>Verwachte route</b>: {escape(str(row.get('expected_route')))} · "
        f"<b>gekregen</b>: {escape(row['route'])} · <b>strategie</b>: {escape(row['strategy'])}"
        f" · {row.get('latency_ms', 0):.0f} ms</p>"
        f"<p><b>Waarom fout</b> <small>(failures)</small>:</p><ul>{failures}</ul>"
        f"<p><b>Antwoord</b>:</p><pre>{escape(row['answer'])}</pre>"
        f"<p><b>Bronnen in de top 5</b>: {sources}</p>"
        f"<p><b>Citaten</b>:</p><ul>{citations or '<li>geen</li>'}</ul></details>"
    )


def citation_link(citation: dict[str, Any]) -> str:
    """A link only for a valid https source URL; anything else (a provider's `javascript:`)
    is shown as text, so the evaluator sees it and clicking it does nothing."""
    title = escape(citation["title"] or citation["id"])
    url = str(citation.get("url") or "")
    if is_source_url(url):
        return f'<a href="{escape(url)}" rel="noreferrer">{title}</a>'
    return f"{title} <code>{escape(url)}</code>" if url else title


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
