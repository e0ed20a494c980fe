"""The security headers and CSP on every GET route of the app (enumerated from the app itself, so a route added
later is checked too), signed out and signed in to the console, and on every kind of error response."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from navfixtures import PATIENT, make_case
from starlette.routing import Mount
from test_web_pages_security import assert_security_headers

from trialbot.settings import WebSettings
from web.app import create_app

pytestmark = pytest.mark.integration


def _flat_routes(app: Any) -> Iterator[Any]:
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is already flat
        yield from app.routes
        return
    yield from iter_route_contexts(app.routes)


def get_paths(app: Any, case_id: int) -> list[str]:
    """Every GET path of the app with its parameters filled in, and one real file of each static mount."""
    paths = []
    for route in _flat_routes(app):
        path, methods = getattr(route, "path", None), getattr(route, "methods", None) or set()
        if path and "GET" in methods:
            query = f"?sender={PATIENT}&after=-1" if path == "/api/chat/messages" else ""
            paths.append(path.replace("{case_id}", str(case_id)) + query)
    for mount in app.routes:
        if isinstance(mount, Mount):
            directory = Path(mount.app.directory)  # type: ignore[attr-defined]
            first = sorted(p for p in directory.rglob("*") if p.is_file())[0]
            paths.append(f"{mount.path}/{first.relative_to(directory).as_posix()}")
    return paths


def check_every_get_route(client: TestClient, case_id: int) -> dict[str, int]:
    statuses = {}
    for path in get_paths(client.app, case_id):
        for method in ("GET", "HEAD"):
            response = client.request(method, path)
            assert response.status_code < 500 or path == "/health", (method, path, response.status_code)
            assert_security_headers(response.headers)
            statuses[f"{method} {path}"] = response.status_code
    return statuses


def test_every_get_route_has_the_headers_when_signed_out(app_client: TestClient, case_store) -> None:
    case = make_case(case_store)
    statuses = check_every_get_route(app_client, case.id)
    expected = {"/", "/health", "/openapi.json", "/navigator", "/navigator/login", "/navigator/audit",
                f"/navigator/cases/{case.id}", "/api/navigator/cases", "/api/navigator/export.csv"}
    assert {key.split(" ", 1)[1] for key in statuses} >= expected  # the enumeration found the whole app
    assert any(key.startswith("GET /static/") for key in statuses)
    assert any(key.startswith("GET /navigator/static/") for key in statuses)
    assert statuses["GET /navigator"] == 303 and statuses["GET /api/navigator/cases"] == 401


def test_every_get_route_has_the_headers_when_signed_in(as_navigator, case_store) -> None:
    navigator = as_navigator("mei")
    case = make_case(case_store)
    statuses = check_every_get_route(navigator.client, case.id)
    assert statuses["GET /navigator"] == 200
    assert statuses[f"GET /navigator/cases/{case.id}"] == 200
    assert statuses["GET /api/navigator/export.json"] == 200


def test_every_kind_of_error_has_the_headers(app_client: TestClient, nav_settings: WebSettings) -> None:
    too_many = None
    for _ in range(7):  # failed sign-ins until the login limiter answers 429
        too_many = app_client.post("/api/navigator/login", json={"username": "mei", "password": "wrong"})
    assert too_many is not None and too_many.status_code == 429

    app = create_app(nav_settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("unexpected")

    with TestClient(app, raise_server_exceptions=False) as crashing:
        internal = crashing.get("/boom")

    json_headers = {"Content-Type": "application/json"}
    responses = {
        401: app_client.get("/api/navigator/me"),
        403: app_client.post("/api/navigator/login", json={"username": "mei", "password": "x"},
                             headers={"Origin": "https://elsewhere.example"}),
        404: app_client.get("/nothing/here"),
        405: app_client.put("/api/chat"),
        413: app_client.post("/api/chat", content=b"x" * 20_000, headers=json_headers),
        415: app_client.post("/api/chat", content=b"hi", headers={"Content-Type": "text/plain"}),
        422: app_client.post("/api/chat", content=b'{"sender": "a"}', headers=json_headers),
        429: too_many,
        500: internal,
    }
    for status, response in responses.items():
        assert response.status_code == status, (status, response.text)
        assert_security_headers(response.headers)
