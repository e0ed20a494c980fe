"""``Annotated`` dependencies: the settings and the shared HTTP client, both held on ``app.state``."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import Depends, Request

from trialbot.settings import WebSettings


def get_settings(request: Request) -> WebSettings:
    return request.app.state.settings


def get_http_client(request: Request) -> httpx.AsyncClient:
    client = getattr(request.app.state, "http_client", None)
    if client is None:  # only when the app is used without running its lifespan
        raise RuntimeError("the HTTP client is not started; run the app with its lifespan")
    return client


def get_health_timeout(request: Request) -> float:
    return request.app.state.health_timeout_s


SettingsDep = Annotated[WebSettings, Depends(get_settings)]
HttpClientDep = Annotated[httpx.AsyncClient, Depends(get_http_client)]
HealthTimeoutDep = Annotated[float, Depends(get_health_timeout)]
