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

from wegwijs.config import IngestSettings, Settings

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


def _off(value: object) -> bool:
    """The value as the app reads it: WEGWIJS_INGEST__ON_START=value."""
    return IngestSettings.model_validate({"on_start": value}).on_start is False


def test_compose_ingests_once_before_the_app_replicas_which_never_ingest() -> None:
    spec = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = spec["services"]
    ingest = services["ingest"]
    assert ingest["command"][:2] == ["wegwijs", "ingest"] and ingest["restart"] == "no"
    apps = [s for s in services.values() if s.get("healthcheck") and "readyz" in str(s)]
    assert len(apps) >= 2
    for app in apps:
        assert _off(app["environment"]["WEGWIJS_INGEST__ON_START"])
        waits = app["depends_on"]["ingest"]["condition"]
        assert waits == "service_completed_successfully"


def test_kubernetes_runs_an_ingest_job_and_the_app_replicas_never_ingest() -> None:
    base = DEPLOY / "k8s" / "base"
    resources = yaml.safe_load((base / "kustomization.yaml").read_text(encoding="utf-8"))
    documents = [
        d
        for name in resources["resources"]
        for d in yaml.safe_load_all((base / name).read_text(encoding="utf-8"))
        if d
    ]
    jobs = [d["spec"]["template"] for d in documents if d["kind"] == "Job"]
    jobs += [
        d["spec"]["jobTemplate"]["spec"]["template"] for d in documents if d["kind"] == "CronJob"
    ]
    assert len(jobs) == 2
    for job in jobs:
        (container,) = job["spec"]["containers"]
        assert container["command"][:2] == ["wegwijs", "ingest"]
        assert {"name": "corpus", "mountPath": "/opt/wegwijs/corpus"} in container["volumeMounts"]
    (app,) = [d for d in documents if d["kind"] == "Deployment"]
    (container,) = app["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container.get("env", [])}
    assert _off(env["WEGWIJS_INGEST__ON_START"])


def test_every_replica_gets_the_session_secret_from_the_deployment_secrets() -> None:
    """A coordinator signed in on one replica stays signed in on the next (test_replicas)."""
    example = (DEPLOY / "wegwijs.env.example").read_text(encoding="utf-8")
    assert re.search(r"^WEGWIJS_UI__SESSION_SECRET=.{32,}$", example, re.M)
    assert "WEGWIJS_UI__SESSION_SECRET" in (DEPLOY / "k8s" / "base" / "app.yaml").read_text()
