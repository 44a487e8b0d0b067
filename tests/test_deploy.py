"""The deploy files (issue 11) are not run here (no Docker, no cluster, no GPU); these checks make
sure they stay consistent with the code: every file parses, every WEGWIJS_* name is a real
setting, every file a kustomization names exists, and the probes call routes the app has."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from wegwijs.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
YAML_FILES = sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yaml", ".yml"))
ENV_NAME = re.compile(r"\bWEGWIJS_[A-Z0-9_]+")
NOT_SETTINGS = {"WEGWIJS_IMAGE", "WEGWIJS_HOST", "WEGWIJS_MODELS_DIR", "WEGWIJS_LLM_WEIGHTS"}


def setting_names(model: type[BaseModel] = Settings, prefix: str = "WEGWIJS_") -> set[str]:
    names = set()
    for name, field in model.model_fields.items():
        env = prefix + name.upper()
        names.add(env)
        annotation: Any = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= setting_names(annotation, env + "__")
    return names


def test_there_is_a_whole_stack_to_deploy() -> None:
    names = {p.relative_to(DEPLOY).as_posix() for p in DEPLOY.rglob("*") if p.is_file()}
    for needed in (
        "Dockerfile",
        "compose.yaml",
        "k8s/base/app.yaml",
        "k8s/base/postgres-cluster.yaml",
        "k8s/qdrant-values.yaml",
        "vllm/k8s/vllm.yaml",
    ):
        assert needed in names


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.relative_to(DEPLOY).as_posix())
def test_every_deploy_file_parses(path: Path) -> None:
    documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    assert documents


def test_every_wegwijs_name_in_the_deploy_files_is_a_setting() -> None:
    known = setting_names()
    used = {
        name
        for path in DEPLOY.rglob("*")
        if path.is_file()
        for name in ENV_NAME.findall(path.read_text(encoding="utf-8"))
    }
    assert used - NOT_SETTINGS, "no settings named at all"
    assert sorted(used - NOT_SETTINGS - known) == []


def test_kustomizations_name_files_that_exist() -> None:
    for path in DEPLOY.rglob("kustomization.yaml"):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        for resource in spec.get("resources", []):
            assert (path.parent / resource).exists(), f"{path}: {resource}"


def test_the_probes_call_routes_the_app_serves() -> None:
    routes = (ROOT / "ui" / "routes.py").read_text(encoding="utf-8")
    served = set(re.findall(r'add_api_route\("([^"]+)"', routes))
    probes = set()
    for path in [*YAML_FILES, DEPLOY / "Dockerfile", DEPLOY / "Caddyfile"]:
        probes |= set(re.findall(r"(/(?:healthz|readyz))\b", path.read_text(encoding="utf-8")))
    assert probes == {"/healthz", "/readyz"} and probes <= served


def test_the_database_url_in_the_env_example_has_an_installed_driver() -> None:
    """The production profile once asked for asyncpg, which was never installed."""
    from sqlalchemy import create_engine

    text = (DEPLOY / "wegwijs.env.example").read_text(encoding="utf-8")
    url = re.search(r"^WEGWIJS_STORE__DATABASE_URL=(\S+)$", text, re.M)
    assert url and url.group(1).startswith("postgresql+psycopg://")
    create_engine(url.group(1)).dispose()  # imports the driver; connects to nothing
