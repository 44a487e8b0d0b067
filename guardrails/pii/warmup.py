"""Build deduce's lookup tables once, at install time: `python -m guardrails.pii.warmup`.

deduce caches them as `deduce/data/lookup/cache/lookup_structs.pickle` inside the virtualenv
(or under the path given with --cache-path); later starts load the pickle in about a second.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from guardrails.pii.redactor import warm_up


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the PII lookup tables (deduce) once.")
    parser.add_argument("--cache-path", type=Path, default=None)
    args = parser.parse_args()
    seconds = warm_up(args.cache_path)
    print(f"PII redactor ready in {seconds:.1f} s")


if __name__ == "__main__":
    main()
