"""`wegwijs eval run` and `wegwijs eval compare` (the lead mounts `eval_app` as `wegwijs eval`)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Annotated

import typer

from eval.card_metrics import HELDOUT as CARDS_HELDOUT
from eval.card_metrics import card_report, load_labelled
from eval.card_metrics import failed_targets as card_targets
from eval.compare import Thresholds, compare, failed, table
from eval.dataset import DatasetError, load_datasets
from eval.guard_metrics import BLIND_SET, failed_targets, guard_report, load_guard_cases
from eval.output import read_cases, read_summary, write_run
from eval.report import render
from eval.runner import parse_overrides, run_suite

BASELINE = Path(__file__).resolve().parent / "baseline"
eval_app = typer.Typer(help="Evaluatie: test een prompt, model of corpus.", no_args_is_help=True)


@eval_app.command("run")
def run_command(
    dataset: Annotated[list[Path], typer.Option("--dataset", help="JSONL file (repeatable)")],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for cases.jsonl, summary.json, report.html")
    ],
    prompt: Annotated[Path | None, typer.Option(help="Swap the generative system prompt")] = None,
    settings: Annotated[
        list[str] | None, typer.Option("--settings", help="KEY=VALUE, e.g. retrieval.top_k=8")
    ] = None,
    repeat: Annotated[int, typer.Option(min=1, help="Runs to average (LLM variance)")] = 1,
    baseline: Annotated[
        Path, typer.Option(help="Run folder to compare with in the report")
    ] = BASELINE,
    judge: Annotated[
        bool, typer.Option("--judge", help="Also ask an LLM judge (llm.* settings)")
    ] = False,
) -> None:
    """Run the datasets through the chat path and write cases.jsonl, summary.json, report.html."""
    try:
        cases = load_datasets(dataset)
        overrides = parse_overrides(settings or [])
    except (DatasetError, ValueError) as exc:
        typer.echo(f"fout: {exc}", err=True)
        raise typer.Exit(2) from exc
    if prompt is not None and not prompt.is_file():
        typer.echo(f"fout: prompt file {prompt} not found", err=True)
        raise typer.Exit(2)
    started = time.perf_counter()
    runs = run_suite(cases, overrides, prompt, repeat)
    if judge:
        from eval.judge import judge as run_judge
        from eval.runner import eval_settings

        llm = eval_settings(overrides, prompt, out).llm
        for run in runs:
            run.extra.update(asyncio.run(run_judge(run.results, llm)))
    summary = write_run(out, runs)
    base = read_summary(baseline) if (baseline / "summary.json").exists() else None
    info = {
        "datasets": ", ".join(str(p) for p in dataset),
        "settings": ", ".join(settings or []) or "standaard (default)",
        "prompt": str(prompt) if prompt else "standaard (default)",
        "runs": str(repeat),
        "duur (duration)": f"{time.perf_counter() - started:.0f} s",
        "basis (baseline)": str(baseline) if base else "geen",
    }
    html = render(summary, read_cases(out), base, info)
    (out / "report.html").write_text(html, encoding="utf-8")
    typer.echo(table(compare(base or {}, summary, Thresholds.load())))
    typer.echo(f"\n{len(cases)} cases x {repeat} run(s) in {time.perf_counter() - started:.0f} s")
    typer.echo(f"rapport: {out / 'report.html'}")


@eval_app.command("compare")
def compare_command(
    base_dir: Annotated[Path, typer.Argument(help="Base run folder (e.g. eval/baseline)")],
    new_dir: Annotated[Path, typer.Argument(help="New run folder")],
    thresholds: Annotated[Path | None, typer.Option(help="Thresholds TOML")] = None,
) -> None:
    """Metric deltas; exit 1 when a metric breaks a threshold or regresses past its margin."""
    rows = compare(
        read_summary(base_dir),
        read_summary(new_dir),
        Thresholds.load(thresholds) if thresholds else Thresholds.load(),
    )
    typer.echo(table(rows))
    bad = failed(rows)
    if bad:
        typer.echo(f"\n{len(bad)} meting(en) niet goed: {', '.join(r.metric.key for r in bad)}")
        raise typer.Exit(1)
    typer.echo("\nAlle metingen binnen de grenzen.")


@eval_app.command("guard")
def guard_command(
    dataset: Annotated[
        Path, typer.Option("--dataset", help="Guard cases JSONL (default: the frozen blind set)")
    ] = BLIND_SET,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Routing of the guardrails on labelled messages; exit 1 below the safety targets."""
    from guardrails.cli import default_guardrails

    try:
        cases = load_guard_cases(dataset)
    except (OSError, ValueError) as exc:
        typer.echo(f"fout: {exc}", err=True)
        raise typer.Exit(2) from exc
    report = guard_report(cases, default_guardrails().inspect)
    bad = failed_targets(report)
    if as_json:
        typer.echo(json.dumps(report | {"failed_targets": bad}, ensure_ascii=False, indent=1))
    else:
        for key, value in report.items():
            if key != "misses":
                typer.echo(f"{key:38} {value}")
        typer.echo("\n" + ("\n".join(f"onder doel: {b}" for b in bad) or "Alle doelen gehaald."))
    if bad:
        raise typer.Exit(1)


@eval_app.command("cards")
def cards_command(
    dataset: Annotated[
        Path, typer.Option("--dataset", help="Labelled messages (default: the frozen held-out set)")
    ] = CARDS_HELDOUT,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Card matching on labelled messages; exit 1 below the answer-cards targets."""
    from wegwijs.config import load_settings
    from wegwijs.container import Container

    try:
        messages = load_labelled(dataset)
    except (OSError, ValueError) as exc:
        typer.echo(f"fout: {exc}", err=True)
        raise typer.Exit(2) from exc
    report = card_report(messages, Container(load_settings()).card_strategy.matcher)
    bad = card_targets(report)
    if as_json:
        typer.echo(json.dumps(report | {"failed_targets": bad}, ensure_ascii=False, indent=1))
    else:
        for key, value in report.items():
            if key not in ("misses", "by_kind"):
                typer.echo(f"{key:28} {value}")
        for kind, row in report["by_kind"].items():
            typer.echo(
                f"  {kind:14} rank1 {row['rank1']}  in_choices {row['in_choices']}  "
                f"precision {row['precision']}  recall {row['recall']}"
            )
        typer.echo("\n" + ("\n".join(f"onder doel: {b}" for b in bad) or "Alle doelen gehaald."))
    if bad:
        raise typer.Exit(1)
