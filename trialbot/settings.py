"""Typed settings, one object per service, read from the environment (prefix ``TRIALBOT_``) and ``.env``.

Settings objects are created at the edge (the CLI, an app factory) and passed in; no module keeps one
as a global.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


def _config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, env_file=".env", extra="ignore")


class KnowledgeSettings(BaseSettings):
    """Where the trial documents and the index live, and how retrieval behaves."""

    model_config = _config("TRIALBOT_")

    docs_dir: Path = REPO_ROOT / "knowledge" / "trials"
    index_dir: Path = REPO_ROOT / "var" / "index"
    synonyms_path: Path = REPO_ROOT / "knowledge" / "synonyms.yml"
    calibration_path: Path = REPO_ROOT / "knowledge" / "calibration.json"
    out_of_domain_path: Path = REPO_ROOT / "knowledge" / "domain" / "out_of_domain.txt"
    embedding_model: str = "all-MiniLM-L6-v2"
    chunk_max_chars: int = 500
    top_k: int = 5
    max_answer_sentences: int = 3
    max_answer_chars: int = 400


class RunSettings(BaseSettings):
    """Ports and paths for the three local servers started by ``trialbot run``."""

    model_config = _config("TRIALBOT_")

    host: str = "127.0.0.1"
    web_port: int = 8000
    rasa_port: int = 5005
    action_port: int = 5055
    bot_dir: Path = REPO_ROOT / "bot"
    rasa_venv: Path = REPO_ROOT / ".venv-rasa"
    log_dir: Path = REPO_ROOT / "var" / "log"
    startup_timeout_s: float = 180.0


class WebSettings(BaseSettings):
    """The FastAPI web service: where Rasa and the action server are, and input limits."""

    model_config = _config("TRIALBOT_")

    rasa_url: str = "http://127.0.0.1:5005"
    action_server_url: str = "http://127.0.0.1:5055"
    index_dir: Path = REPO_ROOT / "var" / "index"
    max_message_chars: int = 2000
    max_body_bytes: int = 16_384
    rasa_timeout_s: float = 30.0
    health_timeout_s: float = 3.0
