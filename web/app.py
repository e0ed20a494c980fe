"""The app factory: settings and (optionally) the HTTP client are passed in; nothing is a module global.

``create_app(settings, http_client=None)`` is what tests use; ``app_factory()`` reads ``WebSettings`` from
the environment for ``uvicorn --factory web.app:app_factory`` and also sets up the process's logging.
Every app redacts its logs (``install_log_hygiene``): no contact details, and no HTTP-client request lines,
whose URLs would carry Rasa's token.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from cases.store import CaseStore
from safety.redaction import install_process_redaction
from trialbot.settings import WebSettings
from web.chat_replay import ChatReplayCache
from web.errors import CatchAllMiddleware, install_error_handlers
from web.navigator import wiring as navigator
from web.navigator.auth import RateLimiter
from web.routes import chat, health, pages
from web.security import SecurityHeadersMiddleware

logger = logging.getLogger(__name__)

# Loggers with handlers of their own (uvicorn's), which records from other loggers never pass through.
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
# HTTP clients log every request URL at INFO; Rasa's HTTP API takes its token in the query string.
QUIET_LOGGERS = ("httpx", "httpcore")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def install_log_hygiene() -> None:
    """Redact every log record of this process and keep the HTTP clients' request logging off."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    install_process_redaction(*SERVER_LOGGERS)


def configure_logging(level: int = logging.INFO) -> None:
    """The web service process's logging: a stderr handler on the root logger when none is there (under
    uvicorn, application records would otherwise reach only Python's last-resort handler, warnings only),
    then :func:`install_log_hygiene`."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format=LOG_FORMAT)
    install_log_hygiene()


def create_app(
    settings: WebSettings,
    http_client: httpx.AsyncClient | None = None,
    *,
    health_timeout_s: float = 3.0,
    case_store: CaseStore | None = None,
) -> FastAPI:
    """Build the web app. If ``http_client`` or ``case_store`` is given, the caller owns it (and closes it);
    otherwise the lifespan opens the case database at ``settings.database_url`` (migrating it)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        holder = app.state.case_store_holder
        await run_in_threadpool(holder.try_open)
        try:
            if http_client is not None:
                app.state.http_client = http_client
                yield
                return
            # trust_env=False: calls go to our own services, never through a proxy from the environment.
            async with httpx.AsyncClient(timeout=settings.rasa_timeout_s, trust_env=False) as client:
                app.state.http_client = client
                logger.info("web up: rasa=%s action_server=%s", settings.rasa_url, settings.action_server_url)
                yield
            app.state.http_client = None
        finally:
            await run_in_threadpool(holder.close)

    app = FastAPI(
        title="Trial assistant web service",
        summary="Chat widget and API for the NCT07520357 patient-information assistant",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI needs a CDN and inline script, both refused by our CSP
        redoc_url=None,
    )
    install_log_hygiene()
    app.state.settings = settings
    app.state.http_client = http_client
    app.state.health_timeout_s = health_timeout_s
    # POST /api/chat: the address is counted before the body is read, the sender once it is known
    storage = settings.rate_limit_storage_uri
    app.state.chat_address_limiter = RateLimiter(settings.chat_address_rate_limit, storage, "chat-address")
    app.state.chat_sender_limiter = RateLimiter(settings.chat_rate_limit, storage, "chat-sender")
    app.state.chat_replays = ChatReplayCache()  # a retried message (same message_id) is answered once

    # add_middleware puts each new middleware outside the previous ones: the security headers also
    # cover the 500 written by CatchAllMiddleware.
    app.add_middleware(CatchAllMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    install_error_handlers(app)
    app.include_router(chat.router)
    app.include_router(health.router)
    app.include_router(pages.router)
    navigator.install(app, settings, case_store)  # console, its API and the widget's live messages
    pages.mount_static(app)
    return app


def app_factory() -> FastAPI:
    configure_logging()
    settings = WebSettings()
    return create_app(settings, health_timeout_s=settings.health_timeout_s)
