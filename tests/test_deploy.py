"""The deploy files (issue 11) are not run here (no Docker, no cluster, no GPU); these checks make
sure they stay consistent with the code: every file parses, every WEGWIJS_* name is a real
setting, every file a kustomization names exists, and the probes call routes the app has."""

from __future__ import annotations

import copy
import json
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


# --- make deploy-check: the deploy files against the Compose and Kubernetes schemas -----------
# Each check returns the problems it finds (empty: fine); the tests below run them on the real
# files, and on planted broken copies to show that every check can fail.

K8S_VERSION = "1.37.0"  # the Kubernetes API the manifests are validated against (strict)
COMPOSE_SCHEMA = ROOT / "tests" / "data" / "schemas" / "compose-spec.json"
# Custom resources from operators: kubernetes-validate ships no schema for them.
CUSTOM_RESOURCES = {"postgresql.cnpg.io/v1"}
K8S = DEPLOY / "k8s"
OVERLAYS = sorted(p.parent.name for p in (K8S / "overlays").glob("*/kustomization.yaml"))
VLLM_MANIFEST = DEPLOY / "vllm" / "k8s" / "vllm.yaml"
# What a deployment must set for the app to work (the defaults only fit the embedded setup):
# the profile, where PostgreSQL, Qdrant and vLLM are and their keys, the session secret shared
# by the replicas, the public address (links in mails) and no ingest at start.
APP_MUST_SET = {
    "WEGWIJS_PROFILE",
    "WEGWIJS_STORE__DATABASE_URL",
    "WEGWIJS_VECTOR_STORE__URL",
    "WEGWIJS_VECTOR_STORE__API_KEY",
    "WEGWIJS_LLM__BASE_URL",
    "WEGWIJS_LLM__API_KEY",
    "WEGWIJS_UI__SESSION_SECRET",
    "WEGWIJS_UI__PUBLIC_URL",
    "WEGWIJS_INGEST__ON_START",
}
Doc = dict[str, Any]


def load_all(path: Path) -> list[Doc]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def served_paths(image: str) -> set[str]:
    """The HTTP paths a probe may call on a container of this image."""
    if image.split(":")[0].split("@")[0].endswith("vllm/vllm-openai"):
        return {"/health"}  # vLLM's OpenAI server: 200 once the model is loaded
    routes = (ROOT / "ui" / "routes.py").read_text(encoding="utf-8")
    return set(re.findall(r'add_api_route\("(/[^"]+)"', routes))


def _set_path(doc: Doc, pointer: str, value: Any) -> None:
    *parents, leaf = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    target: Any = doc
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if isinstance(target, list):
        target[int(leaf)] = value
    else:
        target[leaf] = value


def render(kustomization: Path) -> list[Doc]:
    """`kustomize build` (not installed here) for the part of it these files use: resources
    (files and directories), namespace, labels, configMapGenerator literals and JSON 6902
    patches (replace/add) by kind and name."""
    spec = yaml.safe_load(kustomization.read_text(encoding="utf-8"))
    docs: list[Doc] = []
    for name in spec.get("resources", []):
        path = kustomization.parent / name
        docs += render(path / "kustomization.yaml") if path.is_dir() else load_all(path)
    for generator in spec.get("configMapGenerator", []):
        data = dict(line.split("=", 1) for line in generator.get("literals", []))
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": generator["name"]},
                "data": data,
            }
        )
    for patch in spec.get("patches", []):
        target = patch["target"]
        hits = [
            d for d in docs
            if d["kind"] == target["kind"] and d["metadata"]["name"] == target["name"]
        ]  # fmt: skip
        assert hits, f"{kustomization}: patch target {target} not found"
        for operation in yaml.safe_load(patch["patch"]):
            assert operation["op"] in ("replace", "add"), operation
            for doc in hits:
                _set_path(doc, operation["path"], operation["value"])
    for doc in docs:
        if "namespace" in spec:
            doc["metadata"]["namespace"] = spec["namespace"]
        for label in spec.get("labels", []):
            doc["metadata"].setdefault("labels", {}).update(label["pairs"])
    return docs


def pod_specs(doc: Doc) -> list[Doc]:
    spec = doc.get("spec", {})
    if doc["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        return [spec["template"]["spec"]]
    if doc["kind"] == "CronJob":
        return [spec["jobTemplate"]["spec"]["template"]["spec"]]
    return []


def containers(docs: list[Doc]) -> list[tuple[str, Doc, Doc]]:
    """(where, pod spec, container) for every container in the manifests."""
    return [
        (f"{d['kind']}/{d['metadata']['name']}/{c['name']}", pod, c)
        for d in docs
        for pod in pod_specs(d)
        for c in pod.get("initContainers", []) + pod["containers"]
    ]


def schema_problems(docs: list[Doc]) -> list[str]:
    """Every manifest against the Kubernetes schemas (strict: unknown fields fail too)."""
    import kubernetes_validate

    problems = []
    for doc in docs:
        where = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        if doc.get("apiVersion") in CUSTOM_RESOURCES:
            continue
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{where}: {'.'.join(map(str, error.path))}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            problems.append(f"{where}: no schema ({error})")
    return problems


def image_problems(images: dict[str, str]) -> list[str]:
    """Every image pinned: a digest, or a tag that is not `latest`."""
    problems = []
    for where, image in images.items():
        if "@sha256:" in image:
            continue
        name, _, tag = image.rpartition(":")
        if not name or "/" in tag or tag in ("", "latest"):
            problems.append(f"{where}: image {image!r} is not pinned")
    return problems


def probe_problems(docs: list[Doc]) -> list[str]:
    """Every HTTP probe calls a path the container's image serves."""
    problems = []
    for where, _pod, container in containers(docs):
        for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
            http = container.get(kind, {}).get("httpGet")
            if http and http["path"] not in served_paths(container["image"]):
                problems.append(f"{where}: {kind} calls {http['path']}, not served")
    return problems


def env_problems(names: set[str], where: str, command: list[str] | None) -> list[str]:
    """The app's settings are set; a one-shot command (`wegwijs ingest`) starts no server."""
    needed = APP_MUST_SET - ({"WEGWIJS_INGEST__ON_START"} if command else set())
    return [f"{where}: {name} is not set" for name in sorted(needed - names)]


def secret_names() -> set[str]:
    """wegwijs-secrets is made from the filled-in env file:
    kubectl create secret generic wegwijs-secrets --from-env-file=deploy/wegwijs.env"""
    text = (DEPLOY / "wegwijs.env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Z0-9_]+)=", text, re.M))


def k8s_env(docs: list[Doc], container: Doc) -> set[str]:
    names = {e["name"] for e in container.get("env", [])}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            (config,) = [
                d for d in docs
                if d["kind"] == "ConfigMap"
                and d["metadata"]["name"] == source["configMapRef"]["name"]
            ]  # fmt: skip
            names |= set(config["data"])
        if source.get("secretRef", {}).get("name") == "wegwijs-secrets":
            names |= secret_names()
    return names


def app_containers(docs: list[Doc]) -> list[tuple[str, Doc, Doc]]:
    return [c for c in containers(docs) if c[2]["image"].startswith("wegwijs:")]


def k8s_problems(docs: list[Doc]) -> list[str]:
    images = {where: c["image"] for where, _pod, c in containers(docs)}
    problems = schema_problems(docs) + image_problems(images) + probe_problems(docs)
    for where, _pod, container in app_containers(docs):
        problems += env_problems(k8s_env(docs, container), where, container.get("command"))
    return problems


def interpolate(text: str) -> str:
    """Compose's ${VAR:-default} as it reads with VAR unset (${VAR:?msg}: a value is given)."""
    text = re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", text)
    return re.sub(r"\$\{[A-Z0-9_]+(:\?[^}]*)?\}", "set", text)


def compose_files() -> list[Path]:
    main = DEPLOY / "compose.yaml"
    spec = yaml.safe_load(main.read_text(encoding="utf-8"))
    return [main, *(main.parent / name for name in spec.get("include", []))]


def compose_problems(files: dict[str, Doc]) -> list[str]:
    """Each compose file against the Compose Specification's JSON schema, images pinned, the
    app services' settings set and their health checks on served paths."""
    import jsonschema

    schema = json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    problems = []
    for name, spec in files.items():
        for error in validator.iter_errors(spec):
            problems.append(f"{name}: {'.'.join(map(str, error.path))}: {error.message}")
        for service, body in spec.get("services", {}).items():
            image = interpolate(body.get("image", ""))
            problems += image_problems({f"{name}:{service}": image})
            test = " ".join(body.get("healthcheck", {}).get("test", []))
            for path in re.findall(r"https?://[^/\s'\"]+(/[^\s'\"]*)", test):
                if path not in served_paths(image):
                    problems.append(f"{name}:{service}: health check calls {path}, not served")
            if image.startswith("wegwijs:"):
                names = set(body.get("environment", {})) | secret_names()
                problems += env_problems(names, f"{name}:{service}", body.get("command"))
    return problems


def load_compose() -> dict[str, Doc]:
    return {
        p.relative_to(DEPLOY).as_posix(): yaml.safe_load(interpolate(p.read_text("utf-8")))
        for p in compose_files()
    }


def k8s_sets() -> dict[str, list[Doc]]:
    """What gets applied: the base, each overlay rendered, and vLLM on its own."""
    sets = {"base": render(K8S / "base" / "kustomization.yaml")}
    for overlay in OVERLAYS:
        sets[overlay] = render(K8S / "overlays" / overlay / "kustomization.yaml")
    sets["vllm"] = load_all(VLLM_MANIFEST)
    return sets


def test_deploy_check_covers_the_base_both_overlays_and_vllm() -> None:
    assert OVERLAYS == ["pilot", "production"]
    sets = k8s_sets()
    kinds = {d["kind"] for docs in sets.values() for d in docs}
    assert {"Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "CronJob"} <= kinds
    hpa = {n: d for n, docs in sets.items() for d in docs if d["kind"] == "HorizontalPodAutoscaler"}
    assert (hpa["pilot"]["spec"]["maxReplicas"], hpa["production"]["spec"]["minReplicas"]) == (2, 3)
    assert all(d["metadata"]["namespace"] == "wegwijs-pilot" for d in sets["pilot"])


@pytest.mark.parametrize("name", ["base", *OVERLAYS, "vllm"])
def test_kubernetes_manifests_pass_the_check(name: str) -> None:
    docs = k8s_sets()[name]
    assert containers(docs)
    assert k8s_problems(docs) == []


def test_compose_files_pass_the_check() -> None:
    files = load_compose()
    assert set(files) == {"compose.yaml", "vllm/compose.yaml"}
    assert compose_problems(files) == []


def _container(docs: list[Doc], kind: str, name: str) -> Doc:
    (doc,) = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    result: Doc = pod_specs(doc)[0]["containers"][0]
    return result


def _broken_base(change: Any) -> list[str]:
    docs = copy.deepcopy(k8s_sets()["production"])
    change(docs)
    return k8s_problems(docs)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: _container(d, "Deployment", "wegwijs").update(image="wegwijs:latest"),
         "Deployment/wegwijs/app: image 'wegwijs:latest' is not pinned"),
        (lambda d: _container(d, "CronJob", "wegwijs-ingest-sync").update(image="wegwijs"),
         "CronJob/wegwijs-ingest-sync/ingest: image 'wegwijs' is not pinned"),
        (lambda d: _container(d, "Deployment", "wegwijs")["readinessProbe"]["httpGet"].update(
            path="/ready"), "Deployment/wegwijs/app: readinessProbe calls /ready, not served"),
        (lambda d: _container(d, "Deployment", "wegwijs")["readinessProbe"].update(
            httpGett={"path": "/readyz"}), "Deployment/wegwijs: spec.template.spec.containers.0"),
        (lambda d: d[0]["spec"].update(replicas="two"), "Deployment/wegwijs: spec.replicas"),
        (lambda d: next(x for x in d if x["kind"] == "ConfigMap")["data"].pop(
            "WEGWIJS_LLM__BASE_URL"), "Deployment/wegwijs/app: WEGWIJS_LLM__BASE_URL is not set"),
    ],
    ids=["unpinned-app", "untagged-cronjob", "wrong-probe", "unknown-field", "wrong-type",
         "setting-missing"],
)  # fmt: skip
def test_the_kubernetes_check_fails_on_a_planted_fault(change: Any, expected: str) -> None:
    problems = _broken_base(change)
    assert any(p.startswith(expected) for p in problems), problems


def test_the_kubernetes_check_fails_on_a_vllm_probe_that_vllm_does_not_serve() -> None:
    docs = copy.deepcopy(k8s_sets()["vllm"])
    _container(docs, "Deployment", "vllm")["readinessProbe"]["httpGet"]["path"] = "/readyz"
    assert k8s_problems(docs) == ["Deployment/vllm/vllm: readinessProbe calls /readyz, not served"]


def test_the_kubernetes_check_needs_a_schema_for_every_kind() -> None:
    docs = [{"apiVersion": "example.org/v1", "kind": "Widget", "metadata": {"name": "w"}}]
    assert schema_problems(docs)[0].startswith("Widget/w: no schema")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("${WEGWIJS_IMAGE:-wegwijs:0.1.0}", "${WEGWIJS_IMAGE:-wegwijs:latest}",
         "compose.yaml:app-1: image 'wegwijs:latest' is not pinned"),
        ("image: qdrant/qdrant:v1.19.1", "image: qdrant/qdrant",
         "compose.yaml:qdrant: image 'qdrant/qdrant' is not pinned"),
        ("8000/readyz", "8000/ready", "compose.yaml:app-1: health check calls /ready, not served"),
        ("    restart: \"no\"", "    restart: \"no\"\n    restrat: always",
         "compose.yaml: services.ingest: 'restrat' does not match"),
        ("{condition: service_completed_successfully}", "{condition: service_done}",
         "compose.yaml: services.app-1.depends_on: {'ingest': {'condition': 'service_done'}"),
        ("    WEGWIJS_INGEST__ON_START: \"false\"", "",
         "compose.yaml:app-1: WEGWIJS_INGEST__ON_START is not set"),
    ],
    ids=["unpinned-app", "untagged-qdrant", "wrong-health-path", "unknown-field", "wrong-type",
         "setting-missing"],
)  # fmt: skip
def test_the_compose_check_fails_on_a_planted_fault(old: str, new: str, expected: str) -> None:
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    assert old in text
    files = load_compose()
    files["compose.yaml"] = yaml.safe_load(interpolate(text.replace(old, new, 1)))
    problems = compose_problems(files)
    assert any(p.startswith(expected) for p in problems), problems


def test_vllm_runs_on_gpu_nodes_and_is_ready_on_health() -> None:
    (deployment,) = [d for d in k8s_sets()["vllm"] if d["kind"] == "Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] >= 1
    assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod[
        "tolerations"
    ]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"


def test_qdrant_runs_three_nodes_and_the_app_keeps_two_copies_of_each_shard() -> None:
    values = yaml.safe_load((K8S / "qdrant-values.yaml").read_text(encoding="utf-8"))
    assert values["replicaCount"] == 3 and values["config"]["cluster"]["enabled"] is True
    assert values["config"]["storage"]["collection"]["replication_factor"] == 2
    (config,) = [d for d in k8s_sets()["base"] if d["kind"] == "ConfigMap"]
    settings = Settings.model_validate(
        {"vector_store": {"shard_number": config["data"]["WEGWIJS_VECTOR_STORE__SHARD_NUMBER"],
                          "replication_factor": config["data"][
                              "WEGWIJS_VECTOR_STORE__REPLICATION_FACTOR"]}}
    )  # fmt: skip
    assert settings.vector_store.replication_factor == 2
    assert settings.vector_store.shard_number == values["replicaCount"]


def test_the_app_image_tag_is_the_project_version() -> None:
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
    images = {c["image"] for _w, _p, c in app_containers(k8s_sets()["base"])}
    images |= {interpolate(s["image"]) for s in load_compose()["compose.yaml"]["services"].values()
               if "wegwijs" in s.get("image", "")}  # fmt: skip
    assert images == {f"wegwijs:{version}"}


def test_the_sizing_counts_the_points_the_shipped_corpus_makes() -> None:
    """deploy/README.md's chunk arithmetic starts from this count; it must stay near the truth
    (within 10%: a corpus edit does not have to touch the sizing at once)."""
    from ingest.corpus import load_corpus
    from ingest.pipeline import plan

    sizing = (DEPLOY / "README.md").read_text(encoding="utf-8")
    match = re.search(r"points in the shipped corpus \| ([0-9,]+) ", sizing)
    assert match
    stated = int(match.group(1).replace(",", ""))
    points = sum(len(chunks) for _digest, chunks in plan(load_corpus(ROOT / "corpus")).values())
    assert abs(points - stated) <= stated // 10, (points, stated)
    assert f"{stated:,} x 1,536 B" in sizing  # 384 float32 dims per point
