"""`wegwijs bench ...`: benchmarks that report ratios against a floor measured in-process."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from wegwijs.config import load_settings

bench_app = typer.Typer(help="Benchmarks (ratios against a baseline in the same process).")


@bench_app.command("ingest")
def bench_ingest_command(
    synthetic_chunks: Annotated[int, typer.Option(help="Size of the synthetic corpus.")] = 10_000,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Ingest throughput vs raw sentence-transformers encode, shipped and synthetic corpus."""
    from ingest.bench import bench_ingest

    result = bench_ingest(load_settings(), synthetic_chunks=synthetic_chunks)
    print(json.dumps(result) if as_json else json.dumps(result, indent=2))


@bench_app.command("guard")
def bench_guard_command(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Guardrails latency per message (p50/p95 after warm-up) and start-up time."""
    from guardrails.bench import bench_guard

    result = bench_guard()
    print(json.dumps(result) if as_json else json.dumps(result, indent=2))


def _mount_retrieval() -> None:
    from assistant.bench import retrieval_command

    bench_app.command("retrieval")(retrieval_command)


_mount_retrieval()


@bench_app.command("cards")
def bench_cards_command(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Card answers end to end (engine, no LLM) against the raw e5 encode of the same pieces."""
    from assistant.bench_cards import bench_cards

    result = bench_cards(load_settings())
    print(json.dumps(result) if as_json else json.dumps(result, indent=2))
