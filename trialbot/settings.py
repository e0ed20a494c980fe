"""Typed settings, one object per service, read from the environment (prefix ``TRIALBOT_``) and ``.env``.

Settings objects are created at the edge (the CLI, an app factory) and passed in; no module keeps one
as a global.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{REPO_ROOT / 'var' / 'cases.db'}"
# Secrets that are obviously not secret: rejected at start, as is anything shorter than 32 characters.
PLACEHOLDER_SECRETS = frozenset(
    {"change-me", "changeme", "change_me", "secret", "password", "default", "example", "test", "todo", "xxx"}
)
MIN_SECRET_CHARS = 32


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
    # fine-tuning of the embedding model on the anticipated questions at index time (0 epochs: none)
    adaptation_epochs: int = 1
    adaptation_learning_rate: float = 3e-5
    # BLAS threads for the small matrix products around each question: on two cores, more threads fight torch's
    # own threads while the model encodes (measured: `ask` about twice as fast with one)
    blas_threads: int = Field(default=1, ge=1, le=64)


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
    rasa_token: SecretStr | None = None
    # Rasa's tracker store (conversations survive restarts); docker-compose uses PostgreSQL instead.
    tracker_db: Path = REPO_ROOT / "var" / "tracker.db"


class WebSettings(BaseSettings):
    """The FastAPI web service: where Rasa and the action server are, and input limits."""

    # hide_input_in_errors: a rejected secret must not be echoed in the error message.
    model_config = SettingsConfigDict(**_config("TRIALBOT_"), hide_input_in_errors=True)

    rasa_url: str = "http://127.0.0.1:5005"
    action_server_url: str = "http://127.0.0.1:5055"
    index_dir: Path = REPO_ROOT / "var" / "index"
    max_message_chars: int = 2000
    max_body_bytes: int = 16_384
    rasa_timeout_s: float = 30.0
    health_timeout_s: float = 3.0
    # `limits` rates for POST /api/chat: per sender id (a patient types far fewer), and per client address
    # (higher: a clinic or a mobile carrier puts many patients behind one address)
    chat_rate_limit: str = "30/minute"
    chat_address_rate_limit: str = "600/minute"
    # --- the navigator console (web/navigator/) ---
    database_url: str = DEFAULT_DATABASE_URL
    # Signs the console's session cookies. None: a random one per process (sessions end at restart).
    session_secret: SecretStr | None = None
    session_max_age_s: int = 8 * 3600  # idle time after which a console session ends
    session_absolute_max_age_s: int = 24 * 3600  # a session ends this long after sign-in, busy or not
    rasa_token: SecretStr | None = None  # Rasa's HTTP API token (trialbot run passes TRIALBOT_RASA_TOKEN)
    rasa_api_timeout_s: float = 5.0  # tracker, pause, reply and resume calls to Rasa's HTTP API
    login_rate_limit: str = "5/minute"  # failed sign-ins, per client address and per username
    messages_rate_limit: str = "60/minute"  # the widget's polling of /api/chat/messages, per client and sender
    rate_limit_storage_uri: str = "memory://"  # `limits` storage; redis://... when several web processes run
    cookie_secure: bool = True  # False only for tests over plain http (not needed for a browser on 127.0.0.1)

    @field_validator("session_secret")
    @classmethod
    def _reject_placeholder_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        raw = value.get_secret_value()
        lowered = raw.strip().lower()
        placeholder = lowered in PLACEHOLDER_SECRETS or any(
            word in lowered for word in ("changeme", "change-me", "change_me", "placeholder")
        )
        if placeholder or len(raw) < MIN_SECRET_CHARS:
            raise ValueError(
                f"TRIALBOT_SESSION_SECRET is a placeholder or shorter than {MIN_SECRET_CHARS} characters; "
                'set a random value, e.g. python -c "import secrets; print(secrets.token_urlsafe(48))", '
                "or leave it unset for a random secret per process"
            )
        return value


class CaseSettings(BaseSettings):
    """The handoff case database (cases/), shared by the action server and the web service."""

    model_config = _config("TRIALBOT_")

    database_url: str = DEFAULT_DATABASE_URL


class PrivacySettings(BaseSettings):
    """Where conversations and cases are kept, and how long (``trialbot purge``, the scheduled purge)."""

    model_config = _config("TRIALBOT_")

    database_url: str = DEFAULT_DATABASE_URL
    tracker_db: Path = REPO_ROOT / "var" / "tracker.db"
    # Rasa's tracker store as a database URL (PostgreSQL in production); unset: the SQLite file tracker_db.
    tracker_url: str | None = None
    retention_days: int = 180  # conversations idle and cases untouched for longer are erased
    purge_interval_s: float = 3600.0  # how often the action server runs the purge (0: never)

    def tracker_database_url(self) -> str:
        return self.tracker_url or f"sqlite:///{self.tracker_db}"


class ChannelSettings(BaseSettings):
    """Messaging channels (Telegram, Twilio SMS/WhatsApp, Messenger): each is on when its variables are set.

    ``trialbot run`` turns these into Rasa's credentials file (``trialbot/channels.py``); secrets reach Rasa
    only through its environment. The ``*_api_url``/``graph_url`` settings exist for local stand-ins in tests.
    """

    model_config = SettingsConfigDict(**_config("TRIALBOT_"), hide_input_in_errors=True)

    # Telegram: on when the bot token is set (from @BotFather)
    telegram_token: SecretStr | None = None
    telegram_bot_name: str | None = None  # the bot's username; Rasa checks it against getMe
    telegram_webhook_url: str | None = None  # public https URL of /webhooks/telegram/webhook, registered at start
    telegram_secret_token: SecretStr | None = None  # sent by Telegram with every update; others are refused
    telegram_api_url: str = "https://api.telegram.org"
    # Twilio (SMS and/or WhatsApp): on when the account SID is set
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_sms_number: str | None = None  # e.g. +15551234567
    twilio_whatsapp_number: str | None = None  # e.g. whatsapp:+14155238886
    twilio_webhook_url: str | None = None  # public URL of /webhooks/twilio/webhook, as configured at Twilio
    twilio_api_url: str = "https://api.twilio.com"
    # Facebook Messenger: on when the page access token is set
    messenger_page_token: SecretStr | None = None
    messenger_app_secret: SecretStr | None = None
    messenger_verify_token: SecretStr | None = None
    messenger_graph_url: str = "https://graph.facebook.com"
    messenger_api_version: str = "25.0"
