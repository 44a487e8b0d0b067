"""One typed settings object: profiles from files, environment overrides, one data directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from wegwijs.config import Profile, Settings, load_settings


def test_defaults_are_the_embedded_local_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEGWIJS_PROFILE", raising=False)
    monkeypatch.delenv("WEGWIJS_DATA_DIR", raising=False)
    settings = Settings()
    assert settings.profile is Profile.local
    assert settings.llm.backend == "none"
    assert settings.vector_store.mode == "local"
    assert settings.data_dir == Path("var")


def test_all_local_state_lives_under_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.edge_path == tmp_path / "edge"
    assert settings.model_path == tmp_path / "models" / "multilingual-e5-small"
    assert settings.database_url == f"sqlite:///{tmp_path / 'wegwijs.db'}"


def test_environment_overrides_nested_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEGWIJS_LLM__BACKEND", "openai")
    monkeypatch.setenv("WEGWIJS_LLM__BASE_URL", "http://127.0.0.1:9999/v1")
    monkeypatch.setenv("WEGWIJS_RETRIEVAL__TOP_K", "7")
    settings = Settings()
    assert settings.llm.backend == "openai"
    assert settings.llm.base_url == "http://127.0.0.1:9999/v1"
    assert settings.retrieval.top_k == 7


def test_profile_files_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEGWIJS_PROFILE", "production")
    settings = Settings()
    assert settings.profile is Profile.production
    assert settings.vector_store.mode == "server"
    monkeypatch.setenv("WEGWIJS_VECTOR_STORE__MODE", "memory")
    assert Settings().vector_store.mode == "memory"  # the environment beats the file


def test_dotted_overrides_for_evaluators() -> None:
    settings = load_settings({"retrieval.min_relevance": "0.5", "llm.model": "x"})
    assert settings.retrieval.min_relevance == 0.5
    assert settings.llm.model == "x"


def test_bad_values_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEGWIJS_LLM__BACKEND", "gpt")
    with pytest.raises(ValueError):
        Settings()
