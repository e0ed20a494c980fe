"""Every console route refuses requests without a session, and every state-changing one without the CSRF
token. The routes are enumerated from the app itself, so a route added later is checked too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from navfixtures import OTHER_TRIAL, PATIENT, make_case

pytestmark = pytest.mark.integration

PUBLIC = {("POST", "/api/navigator/login"), ("GET", "/navigator/login")}
SAFE = {"GET", "HEAD", "OPTIONS"}


def every_route(app: Any) -> Iterator[Any]:
    """The app's routes with their full paths (recent FastAPI versions nest included routers)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is already flat
        yield from app.routes
        return
    yield from iter_route_contexts(app.routes)


def console_routes(client: TestClient, prefix: str) -> list[tuple[str, str]]:
    found = []
    for route in every_route(client.app):
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        if path and methods and (path == prefix or path.startswith(prefix + "/")) and "/static" not in path:
            found.extend((method, path) for method in sorted(methods) if method != "HEAD")
    return [r for r in found if r not in PUBLIC]


def concrete(path: str, case_id: int) -> str:
    return path.replace("{case_id}", str(case_id))


def test_every_console_api_route_needs_a_session(app_client: TestClient, case_store) -> None:
    case = make_case(case_store)
    routes = console_routes(app_client, "/api/navigator")
    assert len(routes) >= 15  # the enumeration really found the API
    for method, path in routes:
        response = app_client.request(method, concrete(path, case.id), json={})
        assert response.status_code in (401, 403), (method, path, response.status_code)
        assert response.json()["error"] in ("unauthorized", "forbidden")
    assert [r for r in PUBLIC if r[1].startswith("/api/")] == [("POST", "/api/navigator/login")]


def test_every_state_changing_console_route_needs_the_csrf_token(as_navigator, case_store) -> None:
    navigator = as_navigator("mei")
    case = make_case(case_store)
    changing = [(m, p) for m, p in console_routes(navigator.client, "/api/navigator") if m not in SAFE]
    assert {m for m, _ in changing} >= {"POST", "PATCH", "DELETE"}
    for method, path in changing:
        for headers in ({}, {"X-CSRF-Token": "0" * 64}, {"X-CSRF-Token": ""}):
            response = navigator.client.request(method, concrete(path, case.id), json={}, headers=headers)
            assert response.status_code == 403, (method, path, headers, response.status_code)
            assert response.json()["error"] == "csrf_failed"
    assert case_store.get_case(case.id) is not None  # nothing happened


def test_every_console_page_sends_strangers_to_the_sign_in_page(app_client: TestClient, case_store) -> None:
    case = make_case(case_store)
    pages = console_routes(app_client, "/navigator")
    assert {p for _, p in pages} >= {"/navigator", "/navigator/cases/{case_id}", "/navigator/audit"}
    for method, path in pages:
        response = app_client.request(method, concrete(path, case.id))
        assert response.status_code == 303 and response.headers["location"] == "/navigator/login"
        assert case.reference not in response.text


# Routes anyone may call, each for a reason. Everything else the app serves must refuse a stranger.
OPEN_BY_DESIGN = {
    ("GET", "/"): "the demo page with the widget",
    ("GET", "/health"): "health check (no case data)",
    ("POST", "/api/chat"): "the patient's chat",
    ("GET", "/api/chat/messages"): "the widget's polling: the random sender id is the secret (test_navigator_live)",
    ("GET", "/openapi.json"): "the API's schema (no data)",
    ("POST", "/api/navigator/login"): "sign-in",
    ("GET", "/navigator/login"): "the sign-in page",
}
OPEN_MOUNTS = {"/static", "/navigator/static"}


def test_every_route_of_the_whole_app_is_either_open_by_design_or_refuses_strangers(app_client: TestClient,
                                                                                     case_store) -> None:
    """Not only /api/navigator and /navigator: a console route added anywhere else is caught too."""
    case = make_case(case_store)
    checked = []
    for route in every_route(app_client.app):
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        if not path or not methods:
            assert path in OPEN_MOUNTS, f"unexpected route without methods: {path}"
            continue
        for method in sorted(methods - {"HEAD"}):
            if (method, path) in OPEN_BY_DESIGN:
                continue
            response = app_client.request(method, concrete(path, case.id), json={})
            refused = response.status_code in (401, 403) or (
                response.status_code == 303 and response.headers["location"] == "/navigator/login")
            assert refused, (method, path, response.status_code)
            assert case.reference not in response.text and "+8613800138000" not in response.text
            checked.append((method, path))
    assert len(checked) >= 19  # 16 API routes and 3 pages at the time of writing
    served = {(m, r.path) for r in every_route(app_client.app) for m in (getattr(r, "methods", None) or ())}
    assert set(OPEN_BY_DESIGN) <= served  # the allow-list names no route that has gone


def test_every_case_route_hides_a_case_of_another_trial(as_navigator, case_store) -> None:
    """Enumerated from the app: any route with a case id answers 404 for a case outside the navigator's trials,
    and changes nothing; lists and exports leave the case out."""
    theirs = make_case(case_store, sender="their-patient", trial_id=OTHER_TRIAL)
    mine = make_case(case_store, sender=PATIENT)
    mei = as_navigator("mei")
    case_routes = [(m, p) for prefix in ("/api/navigator", "/navigator") for m, p in console_routes(mei.client, prefix)
                   if "{case_id}" in p]
    assert len(case_routes) >= 10
    for method, path in case_routes:
        response = mei.send(method, concrete(path, theirs.id), json={"text": "hi", "username": "mei",
                                                                     "status": "closed"})
        assert response.status_code == 404, (method, path, response.status_code)
        assert theirs.reference not in response.text
    after = case_store.get_case(theirs.id)
    assert (after.status, after.notes, after.held_by, after.assigned_to) == ("new", [], None, None)
    lists = [mei.get("/api/navigator/cases"), mei.get("/api/navigator/export.json"),
             mei.get("/api/navigator/export.csv"), mei.get("/navigator"), mei.get("/api/navigator/audit"),
             mei.get("/navigator/audit"), mei.get("/api/navigator/cases", params={"trial": OTHER_TRIAL})]
    assert all(r.status_code == 200 for r in lists)
    assert all(theirs.reference not in r.text for r in lists)
    assert mine.reference in lists[0].text and mine.reference in lists[3].text
