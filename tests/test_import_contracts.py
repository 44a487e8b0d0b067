"""The import contracts in .importlinter hold on the tree, and break when an arrow points up:
the check runs `lint-imports` (as `make lint` does) on a copy of the packages with one planted
import."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("wegwijs", "assistant", "guardrails", "ingest", "ui", "eval")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def contract_names() -> dict[str, str]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter", encoding="utf-8")
    prefix = "importlinter:contract:"
    return {k.removeprefix(prefix): config[k]["name"] for k in config if k.startswith(prefix)}


def verdicts(output: str) -> dict[str, str]:
    """contract key -> KEPT / BROKEN, from lint-imports' report (lines may wrap)."""
    flat = " ".join(output.split())
    found = {}
    for key, name in contract_names().items():
        for verdict in ("KEPT", "BROKEN"):
            if f"{name} {verdict}" in flat:
                found[key] = verdict
    return found


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip


def copy_tree(tmp_path: Path) -> Path:
    for package in PACKAGES:
        skip = shutil.ignore_patterns("*.pyc", "__pycache__", "data", "texts")
        shutil.copytree(ROOT / package, tmp_path / package, ignore=skip)
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def test_the_contracts_hold_on_the_tree() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert verdicts(result.stdout) == dict.fromkeys(contract_names(), "KEPT")
    assert len(contract_names()) == 4


@pytest.mark.parametrize(
    ("module", "planted", "contract"),
    [
        ("wegwijs/domain.py", "import assistant.engine", "bottom"),
        ("wegwijs/text.py", "import wegwijs.container", "bottom"),
        ("guardrails/replies.py", "import ui.render", "guardrails"),
        ("ingest/chunker.py", "import eval.runner", "engines-below-top"),
        ("assistant/matching.py", "import ingest.cards", "engines-independent"),
    ],
)
def test_a_planted_upward_import_breaks_a_contract(
    tmp_path: Path, module: str, planted: str, contract: str
) -> None:
    root = copy_tree(tmp_path)
    path = root / module
    path.write_text(path.read_text("utf-8") + f"\n{planted}  # planted\n", "utf-8")
    result = lint_imports(root)
    assert result.returncode == 1, result.stdout
    assert verdicts(result.stdout)[contract] == "BROKEN", result.stdout
