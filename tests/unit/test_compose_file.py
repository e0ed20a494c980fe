"""docker-compose.yml is checked by parsing it: no Docker engine runs on the development machines."""

import re

import pytest
import yaml

from trialbot.settings import REPO_ROOT

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())


def test_every_service_has_a_health_check(compose):
    assert set(compose["services"]) == {"postgres", "redis", "action-server", "rasa", "web"}
    for name, service in compose["services"].items():
        assert "test" in service.get("healthcheck", {}), name


def test_dependencies_wait_until_healthy(compose):
    for name, service in compose["services"].items():
        for dependency, condition in (service.get("depends_on") or {}).items():
            assert dependency in compose["services"], (name, dependency)
            assert condition == {"condition": "service_healthy"}, (name, dependency)


def test_rasa_uses_the_official_image_and_secrets_are_required(compose):
    assert compose["services"]["rasa"]["image"] == "rasa/rasa:3.6.21-full"
    text = (REPO_ROOT / "docker-compose.yml").read_text()
    assert re.search(r"POSTGRES_PASSWORD: \$\{POSTGRES_PASSWORD:\?", text)
    assert "--enable-api" not in text
    assert list(compose["services"]["web"]["ports"]) == ["8000:8000"]
    assert all("ports" not in s for n, s in compose["services"].items() if n != "web")
