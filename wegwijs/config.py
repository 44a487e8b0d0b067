"""The one typed settings object. Only this module reads the environment.

Precedence (highest first): explicit keyword arguments, environment variables
(`WEGWIJS_*`, nested with `__`, e.g. `WEGWIJS_LLM__BASE_URL`), the profile file
`profiles/<profile>.toml`, then the defaults below.
"""

from __future__ import annotations

import os
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROFILES_DIR = PROJECT_ROOT / "profiles"


class Profile(StrEnum):
    local = "local"
    production = "production"
    test = "test"


class EmbeddingSettings(BaseModel):
    # sentence-transformers: the model below. hashing: word hashes, fast and meaningless (tests
    # and crash drills only; tests/test_ingest_crash.py kills the real CLI 20 times with it).
    backend: Literal["sentence-transformers", "hashing"] = "sentence-transformers"
    # Empty means "<data_dir>/models/multilingual-e5-small" (materialised at install).
    model_path: str = ""
    query_prefix: str = "query: "
    passage_prefix: str = "passage: "
    batch_size: int = 32
    max_seq_length: int = 512
    device: str = "cpu"


class VectorStoreSettings(BaseModel):
    # local: Qdrant Edge (in-process) in <data_dir>/edge; memory: Qdrant Edge in a throwaway
    # temp folder (tests, eval); server: a Qdrant server or cluster at `url` (qdrant-client).
    mode: Literal["local", "memory", "server"] = "local"
    url: str = "http://localhost:6333"
    api_key: str = ""
    collection: str = "wegwijs"
    # server mode on a cluster: shards per collection and copies of each (None: Qdrant's default)
    shard_number: int | None = None
    replication_factor: int | None = None


class LlmSettings(BaseModel):
    # none: answer cards only (no generated text).
    # openai: any OpenAI-compatible server (vLLM, llama_cpp.server).
    backend: Literal["none", "openai"] = "none"
    base_url: str = "http://127.0.0.1:8001/v1"
    api_key: str = "not-needed"
    model: str = "default"
    timeout_s: float = 30.0
    connect_timeout_s: float = 3.0
    max_retries: int = 2
    context_tokens: int = 4096
    max_answer_tokens: int = 400
    temperature: float = 0.2
    system_prompt_file: str = ""  # empty: assistant/prompts/system.nl.txt


class RetrievalSettings(BaseModel):
    top_k: int = 5
    prefetch_k: int = 30
    min_relevance: float = 0.845  # calibrated: python -m assistant.calibrate_relevance
    history_turns: int = 3


class StoreSettings(BaseModel):
    # Empty means sqlite under <data_dir>/wegwijs.db; production: a PostgreSQL URL;
    # "memory" keeps conversations in-process (tests, eval runs).
    database_url: str = ""
    retention_days: int = 90


class IngestSettings(BaseModel):
    # True (the embedded default): the app ingests the corpus at start and when it changes.
    # Production replicas set it off; a one-shot `wegwijs ingest` job fills the shared index.
    on_start: bool = True


class OrganisationSettings(BaseModel):
    name: str = "Wegwijs"
    contact_phone: str = ""
    contact_url: str = ""
    huisartsenpost_phone: str = ""


# Hosts a link in the widget may point at, next to the hosts of the corpus' own source URLs:
# the sources in ../shared/facts, thuisarts.nl (the medical refusal) and the crisis lines.
LINK_HOSTS = (
    "wetten.overheid.nl",
    "www.rijksoverheid.nl",
    "www.regelhulp.nl",
    "www.svb.nl",
    "www.mantelzorg.nl",
    "www.hetcak.nl",
    "www.ciz.nl",
    "www.thuisarts.nl",
    "www.113.nl",
    "www.deluisterlijn.nl",
    "www.veiligthuis.nl",
    "www.alzheimer-nederland.nl",
)


class UiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000
    embed_allowlist: list[str] = Field(default_factory=list)
    # Messages one client address may send per minute (per app process); 0 switches it off.
    messages_per_minute: int = 20
    # Behind a reverse proxy every visitor has the proxy's address: name the header the proxy
    # sets (e.g. "x-forwarded-for"); its last entry is used. Empty: the socket's peer address.
    client_ip_header: str = ""
    # The widget's public address, e.g. https://chat.org.nl (default: http://host:port).
    public_url: str = Field(default="", pattern=r"^$|^https?://[A-Za-z0-9.-]+(:[0-9]+)?/?$")
    link_hosts: list[str] = Field(default_factory=lambda: list(LINK_HOSTS))
    # Signs coordinator sessions and CSRF tokens. Empty: a random key in <data_dir>/session.key
    # (one process). Replicas get the same value from a secret, so any replica takes any request.
    session_secret: str = Field(default="", pattern=r"^$|^.{32,}$", repr=False)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WEGWIJS_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    profile: Profile = Profile.local
    data_dir: Path = Path("var")
    corpus_dir: Path = PROJECT_ROOT / "corpus"

    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    vector_store: VectorStoreSettings = Field(default_factory=VectorStoreSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    organisation: OrganisationSettings = Field(default_factory=OrganisationSettings)
    ui: UiSettings = Field(default_factory=UiSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, ProfileFileSource(settings_cls))

    # Derived paths: one data directory holds all mutable local state.
    @property
    def data_path(self) -> Path:
        return self.data_dir if self.data_dir.is_absolute() else Path.cwd() / self.data_dir

    @property
    def model_path(self) -> Path:
        if self.embedding.model_path:
            return Path(self.embedding.model_path)
        return self.data_path / "models" / "multilingual-e5-small"

    @property
    def edge_path(self) -> Path:
        """The embedded store (Qdrant Edge); a new name, so an old qdrant-client folder
        (<data_dir>/qdrant) is never read as one."""
        return self.data_path / "edge"

    @property
    def database_url(self) -> str:
        return self.store.database_url or f"sqlite:///{self.data_path / 'wegwijs.db'}"


class ProfileFileSource(PydanticBaseSettingsSource):
    """Reads `profiles/<profile>.toml`; the profile name comes from init or the environment."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        name = os.environ.get("WEGWIJS_PROFILE", Profile.local.value)
        path = PROFILES_DIR / f"{name}.toml"
        if not path.exists():
            return {}
        with path.open("rb") as handle:
            return tomllib.load(handle)


def load_settings(overrides: dict[str, str] | None = None) -> Settings:
    """Build settings, with optional dotted overrides like {"llm.model": "x"} (eval --settings)."""
    nested: dict[str, Any] = {}
    for key, value in (overrides or {}).items():
        target = nested
        *parents, leaf = key.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    if not nested:
        return Settings()
    base = Settings().model_dump()
    return Settings(**_deep_merge(base, nested))


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
