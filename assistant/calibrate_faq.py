"""Calibrate `retrieval.faq_threshold`: `python -m assistant.calibrate_faq [--json]`.

Uses assistant/data/faq_calibration.jsonl: {"text", "faq_id"} where faq_id is the FAQ that must
answer the text, or null for a near-miss that no FAQ may answer. The FAQ phrasings of the corpus
are indexed in memory with the real embedder; each text gets its best phrasing and score. The
rows are split in two stratified halves: the threshold is the lowest one whose precision on the
tuning half is >= 0.95 (a wrong FAQ answer is worse than none), and precision/recall are then
measured on the held-out half. The result is written to assistant/data/faq_threshold.json.
"""

from __future__ import annotations

import json
import sys

import typer

from assistant.calibration import DATA, grid, halves, lowest_with_precision, read_jsonl, sweep
from wegwijs.config import Settings, VectorStoreSettings
from wegwijs.container import Container

TARGET_PRECISION = 0.95


def score_rows(container: Container, rows: list[dict[str, object]]) -> list[tuple[float, bool]]:
    """(best score, best FAQ is the labelled one) per row; near-misses are never 'right'."""
    corpus = container.corpus
    container.store.ensure_collection(container.embedder.dim)
    pipeline = container.ingest_pipeline
    from ingest.pipeline import faq_chunks

    pipeline.write([chunk for entry in corpus.faq for chunk in faq_chunks(entry)])
    faq = container.faq_strategy
    out = []
    for row in rows:
        found = faq.best(str(row["text"]))
        score = found.score if found else 0.0
        right = found is not None and found.entry.id == row["faq_id"]
        out.append((score, right))
    return out


def calibrate(container: Container) -> dict[str, object]:
    rows = read_jsonl(DATA / "faq_calibration.jsonl")
    scored = score_rows(container, rows)
    tune, held = halves(rows, "faq_id")
    thresholds = grid(0.85, 0.99, 0.005)

    def run(indices: list[int]) -> list:
        return sweep(
            [scored[i][0] for i in indices],
            [scored[i][1] for i in indices],
            sum(1 for i in indices if rows[i]["faq_id"] is not None),
            thresholds,
        )

    tuned = run(tune)
    chosen = lowest_with_precision(tuned, TARGET_PRECISION)
    held_points = {p.threshold: p for p in run(held)}
    result: dict[str, object] = {
        "pairs": len(rows),
        "matches": sum(1 for r in rows if r["faq_id"] is not None),
        "near_misses": sum(1 for r in rows if r["faq_id"] is None),
        "target_precision": TARGET_PRECISION,
        "sweep_tune": [p.__dict__ for p in tuned],
        "sweep_held_out": [p.__dict__ for p in held_points.values()],
    }
    if chosen is not None:
        held_at = held_points[chosen.threshold]
        result.update(
            threshold=chosen.threshold,
            tune_precision=round(chosen.precision, 3),
            tune_recall=round(chosen.recall, 3),
            held_out_precision=round(held_at.precision, 3),
            held_out_recall=round(held_at.recall, 3),
        )
    return result


def main(
    as_json: bool = typer.Option(False, "--json", help="Print the whole result as JSON."),
) -> None:
    settings = Settings(vector_store=VectorStoreSettings(mode="memory"))
    container = Container(settings)
    result = calibrate(container)
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        columns = ("threshold", "prec(tune)", "rec(tune)", "prec(held)", "rec(held)")
        print(" ".join(f"{c:>10}" for c in columns))
        for tune_point, held_point in zip(
            result["sweep_tune"],
            result["sweep_held_out"],
            strict=True,  # type: ignore[call-overload]
        ):
            print(
                f"{tune_point['threshold']:>9.3f} {tune_point['precision']:>10.3f} "
                f"{tune_point['recall']:>9.3f} {held_point['precision']:>10.3f} "
                f"{held_point['recall']:>9.3f}"
            )
        print(
            f"chosen: {result.get('threshold')} (lowest with tuning precision >= 0.95); "
            f"held-out precision {result.get('held_out_precision')}, "
            f"recall {result.get('held_out_recall')}",
            file=sys.stderr,
        )
    summary = {k: v for k, v in result.items() if not k.startswith("sweep")}
    (DATA / "faq_threshold.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    container.close()


if __name__ == "__main__":
    typer.run(main)
