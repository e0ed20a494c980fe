"""``GET /health`` against real localhost stand-ins for Rasa and the action server and a fake index check."""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from webfakes import FakeIndex, StandIn

from trialbot.settings import WebSettings

pytestmark = pytest.mark.integration


def services(response: object) -> dict[str, dict[str, object]]:
    return response.json()["services"]  # type: ignore[attr-defined]


def test_all_up_is_200_ok(client: TestClient, fake_index: FakeIndex, web_settings: WebSettings) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "services": {
            "rasa": {"ok": True, "detail": "HTTP 200"},
            "action_server": {"ok": True, "detail": "HTTP 200"},
            "index": {"ok": True, "detail": "index ok: 42 chunks"},
        },
    }
    assert fake_index.calls == [web_settings.index_dir]


def test_rasa_down_is_503(
    make_client: Callable[..., TestClient], web_settings: WebSettings, fake_index: FakeIndex, dead_url: str
) -> None:
    client = make_client(web_settings.model_copy(update={"rasa_url": dead_url}))
    response = client.get("/health")

    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert services(response)["rasa"]["ok"] is False
    assert "unreachable" in str(services(response)["rasa"]["detail"])
    assert services(response)["action_server"]["ok"] is True
    assert services(response)["index"]["ok"] is True


def test_rasa_answering_500_is_down(client: TestClient, rasa: StandIn, fake_index: FakeIndex) -> None:
    rasa.root_status = 500
    response = client.get("/health")
    assert response.status_code == 503
    assert services(response)["rasa"] == {"ok": False, "detail": "HTTP 500"}


def test_action_server_down_is_503(
    make_client: Callable[..., TestClient], web_settings: WebSettings, fake_index: FakeIndex, dead_url: str
) -> None:
    client = make_client(web_settings.model_copy(update={"action_server_url": dead_url}))
    response = client.get("/health")

    assert response.status_code == 503
    assert services(response)["action_server"]["ok"] is False
    assert services(response)["rasa"]["ok"] is True


def test_action_server_unhealthy_is_503(
    client: TestClient, action_server: StandIn, fake_index: FakeIndex
) -> None:
    action_server.health_status = 503
    response = client.get("/health")
    assert response.status_code == 503
    assert services(response)["action_server"] == {"ok": False, "detail": "HTTP 503"}


def test_slow_service_times_out(
    make_client: Callable[..., TestClient], web_settings: WebSettings, rasa: StandIn, fake_index: FakeIndex
) -> None:
    rasa.delay_s = 1.0
    client = make_client(web_settings, health_timeout_s=0.2)
    response = client.get("/health")
    assert response.status_code == 503
    assert "timed out" in str(services(response)["rasa"]["detail"])


def test_index_down_is_503(client: TestClient, fake_index: FakeIndex) -> None:
    fake_index.ok, fake_index.detail = False, "no manifest in var/index"
    response = client.get("/health")

    assert response.status_code == 503
    assert services(response)["index"] == {"ok": False, "detail": "no manifest in var/index"}
    assert services(response)["rasa"]["ok"] is True


def test_index_check_raising_is_down_not_500(client: TestClient, fake_index: FakeIndex) -> None:
    fake_index.error = OSError("disk on fire")
    response = client.get("/health")
    assert response.status_code == 503
    assert services(response)["index"] == {"ok": False, "detail": "index check failed (OSError)"}


def test_index_check_too_slow_is_down(
    make_client: Callable[..., TestClient], web_settings: WebSettings, fake_index: FakeIndex
) -> None:
    fake_index.delay_s = 1.0
    client = make_client(web_settings, health_timeout_s=0.2)
    response = client.get("/health")
    assert response.status_code == 503
    assert "timed out" in str(services(response)["index"]["detail"])


def test_index_module_missing_is_down(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "knowledge.index_store", None)  # makes the import fail
    response = client.get("/health")
    assert response.status_code == 503
    assert services(response)["index"]["ok"] is False
    assert "cannot be imported" in str(services(response)["index"]["detail"])


def test_everything_down_still_answers_json(
    make_client: Callable[..., TestClient],
    web_settings: WebSettings,
    dead_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "knowledge.index_store", None)
    everything_dead = {"rasa_url": dead_url, "action_server_url": dead_url}
    client = make_client(web_settings.model_copy(update=everything_dead))
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert {name: s["ok"] for name, s in services(response).items()} == {
        "rasa": False,
        "action_server": False,
        "index": False,
    }
