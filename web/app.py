"""The app factory: settings and (optionally) the HTTP client are passed in; nothing is a module global.

``create_app(settings, http_client=None)`` is what tests use; ``app_factory()`` reads ``WebSettings`` from
the environment for ``uvicorn --factory web.app:app_factory``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from trialbot.settings import WebSettings
from web.errors import CatchAllMiddleware, install_error_handlers
from web.routes import chat, health, pages
from web.security import SecurityHeadersMiddleware

logger = logging.getLogger(__name__)


def create_app(
    settings: WebSettings,
    http_client: httpx.AsyncClient | None = None,
    *,
    health_timeout_s: float = 3.0,
) -> FastAPI:
    """Build the web app. If ``http_client`` is given, the caller owns it (and closes it)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
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

    app = FastAPI(
        title="Trial assistant web service",
        summary="Chat widget and API for the NCT07520357 patient-information assistant",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI needs a CDN and inline script, both refused by our CSP
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.http_client = http_client
    app.state.health_timeout_s = health_timeout_s

    # add_middleware puts each new middleware outside the previous ones: the security headers also
    # cover the 500 written by CatchAllMiddleware.
    app.add_middleware(CatchAllMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    install_error_handlers(app)
    app.include_router(chat.router)
    app.include_router(health.router)
    app.include_router(pages.router)
    pages.mount_static(app)
    return app


def app_factory() -> FastAPI:
    settings = WebSettings()
    return create_app(settings, health_timeout_s=settings.health_timeout_s)
