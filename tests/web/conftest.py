"""Fixtures for the web service tests (the stand-ins themselves are in ``webfakes``; the console's fixtures
are in ``navfixtures`` and made available here)."""

from __future__ import annotations

import socket
import sys
import types
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from navfixtures import (  # noqa: F401 - the console fixtures, for every test module here
    app_client,
    as_navigator,
    case_store,
    clock,
    fake_rasa,
    make_nav_client,
    nav_settings,
)
from webfakes import FakeIndex, StandIn, start_standin

from trialbot.settings import WebSettings
from web.app import create_app


@pytest.fixture
def make_standin() -> Iterator[Callable[[], StandIn]]:
    servers: list[ThreadingHTTPServer] = []

    def start() -> StandIn:
        standin, server = start_standin()
        servers.append(server)
        return standin

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def rasa(make_standin: Callable[[], StandIn]) -> StandIn:
    return make_standin()


@pytest.fixture
def action_server(make_standin: Callable[[], StandIn]) -> StandIn:
    return make_standin()


@pytest.fixture
def dead_url() -> str:
    """A localhost URL where nothing listens (the port was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def fake_index(monkeypatch: pytest.MonkeyPatch) -> FakeIndex:
    """Stand-in for ``knowledge.index_store.check_index`` (the real one belongs to the knowledge package)."""
    fake = FakeIndex()
    module = types.ModuleType("knowledge.index_store")
    module.check_index = fake.check_index  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "knowledge.index_store", module)
    return fake


@pytest.fixture
def web_settings(rasa: StandIn, action_server: StandIn, tmp_path: Path) -> WebSettings:
    return WebSettings(
        rasa_url=rasa.url,
        action_server_url=action_server.url,
        index_dir=tmp_path / "index",
        rasa_timeout_s=5.0,
    )


@pytest.fixture
def make_client() -> Iterator[Callable[..., TestClient]]:
    """Start the app (with its lifespan, so it creates its own httpx client) for given settings."""
    clients: list[TestClient] = []

    def start(settings: WebSettings, *, client_options: dict[str, Any] | None = None, **kwargs: Any) -> TestClient:
        """``kwargs`` go to ``create_app``, ``client_options`` to the ``TestClient``."""
        client = TestClient(create_app(settings, **kwargs), raise_server_exceptions=False, **(client_options or {}))
        client.__enter__()
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient], web_settings: WebSettings) -> TestClient:
    return make_client(web_settings)
