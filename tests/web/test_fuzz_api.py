"""Fuzzing the web service's API from its own OpenAPI schema with schemathesis (valid and invalid data).

Whatever is sent, the service answers without a 5xx and without a stack trace. The app runs in a real uvicorn
on localhost against localhost stand-ins: the console tests' fake Rasa (REST channel + HTTP API with a token),
a healthy action server and a fake index check. Every operation is fuzzed signed out; the console API again
signed in with the CSRF token (so the fuzzed data reaches the handlers). Bounded: ``MAX_EXAMPLES`` per
operation and mode, well under a minute in all.
"""

from __future__ import annotations

import secrets
import sys
import types
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from navfakes import start_fake_rasa
from webfakes import FakeIndex, ServedApp, start_standin

from cases.store import CaseStore
from trialbot.settings import WebSettings
from web.app import create_app

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 15
TOKEN = "rasa-api-token-for-the-fuzz-tests-0123"
PASSWORD = "correct horse battery staple"
STACK_TRACE_MARKS = ("Traceback", 'File "', "most recent call last")


class Served:
    """The served app, its URL, and the headers of a signed-in navigator."""

    def __init__(self, url: str, navigator_headers: dict[str, str]) -> None:
        self.url = url
        self.navigator_headers = navigator_headers


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("fuzz")
    rasa, rasa_server = start_fake_rasa(TOKEN)
    actions, actions_server = start_standin()
    store = CaseStore.from_url(f"sqlite:///{tmp / 'cases.db'}")
    store.add_navigator("mei", PASSWORD, ["NCT07520357"])
    index_module = types.ModuleType("knowledge.index_store")
    index_module.check_index = FakeIndex().check_index  # type: ignore[attr-defined]
    settings_ = WebSettings(
        rasa_url=rasa.url, action_server_url=actions.url, index_dir=tmp / "index", rasa_token=TOKEN,
        database_url=f"sqlite:///{tmp / 'unused.db'}", session_secret=secrets.token_urlsafe(48),
        cookie_secure=False, chat_rate_limit="100000/minute", chat_address_rate_limit="100000/minute",
        messages_rate_limit="100000/minute",
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "knowledge.index_store", index_module)
        app = ServedApp(create_app(settings_, case_store=store)).start()
        try:
            with httpx.Client(base_url=app.url, trust_env=False) as http:
                login = http.post("/api/navigator/login", json={"username": "mei", "password": PASSWORD})
                login.raise_for_status()
                cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
            yield Served(app.url, {"Cookie": cookie, "X-CSRF-Token": login.json()["csrf_token"]})
        finally:
            app.stop()
            store.dispose()
            for server in (rasa_server, actions_server):
                server.shutdown()
                server.server_close()


def load_schema() -> Any:
    """The app's own OpenAPI document (the schema does not depend on settings; nothing is started here).

    Loaded at import, not through ``schemathesis.pytest.from_fixture``: its lazy loader needs a pytest
    internal (``Function._nodeid``) that pytest 9 no longer has."""
    document = create_app(WebSettings(session_secret=secrets.token_urlsafe(48))).openapi()
    loaded = schemathesis.openapi.from_dict(document)
    loaded.config.generation.update(
        modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
        max_examples=MAX_EXAMPLES,
    )
    return loaded


schema = load_schema()


def assert_no_server_error(response: Any, case: Any) -> None:
    where = f"{case.method} {case.formatted_path}"
    assert response.status_code < 500, (where, response.status_code, response.text[:500])
    for mark in STACK_TRACE_MARKS:
        assert mark not in response.text, (where, mark)


FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@FUZZ_SETTINGS
def test_no_5xx_and_no_stack_trace_signed_out(case: Any, served: Served) -> None:
    assert_no_server_error(case.call(base_url=served.url), case)


@schema.parametrize()
@FUZZ_SETTINGS
def test_no_5xx_and_no_stack_trace_signed_in(case: Any, served: Served) -> None:
    if not case.path.startswith("/api/navigator") or case.path == "/api/navigator/logout":
        return  # the rest is covered signed out; signing out would end the fuzzing session
    assert_no_server_error(case.call(base_url=served.url, headers=served.navigator_headers), case)


def test_the_fuzzed_schema_is_the_served_one_and_lists_the_public_api(served: Served) -> None:
    document = httpx.get(f"{served.url}/openapi.json", trust_env=False).json()
    assert document == schema.raw_schema
    assert {"/api/chat", "/api/chat/messages", "/health", "/api/navigator/login"} <= set(document["paths"])
