"""docker-compose.yml is checked by parsing it: no Docker engine runs on the development machines.

The file is validated against the Compose Specification's JSON schema (the copy vendored by the
``check-jsonschema`` package, run as its command-line tool), then checked for what the schema cannot know:
health checks and ``service_healthy`` waits, required secrets, the official Rasa image, replicas reached by
service name, the settings' variable names, and consistency with the Makefile, the production endpoints file,
the Dockerfile and the TLS proxy's configuration.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from settingsnames import settings_env_names

from trialbot.settings import REPO_ROOT

pytestmark = pytest.mark.unit

COMPOSE = REPO_ROOT / "docker-compose.yml"
# ${NAME}, ${NAME:-default}, ${NAME:?error}; "$${NAME}" is compose's escape for a literal "${NAME}".
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
REQUIRED_SECRETS = {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "TRIALBOT_RASA_TOKEN", "TRIALBOT_SESSION_SECRET"}
SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN", "SID", "AUTH")
REPLICATED = ("rasa", "action-server")


@pytest.fixture(scope="module")
def text() -> str:
    return COMPOSE.read_text()


@pytest.fixture(scope="module")
def compose(text: str) -> dict:
    return yaml.safe_load(text)


@pytest.fixture(scope="module")
def services(compose: dict) -> dict:
    return compose["services"]


def check_jsonschema(path: Path) -> subprocess.CompletedProcess:
    tool = Path(sys.executable).parent / "check-jsonschema"
    assert tool.exists(), "check-jsonschema is missing: pip install -e '.[test]'"
    return subprocess.run([str(tool), "--builtin-schema", "vendor.compose-spec", str(path)],
                          capture_output=True, text=True, timeout=120)


def test_the_file_is_valid_against_the_compose_specification():
    result = check_jsonschema(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("mistake", [{"depends_on": {"postgres": {"condition": "service_heathy"}}},
                                     {"healthchek": {"test": ["CMD", "true"]}}])
def test_the_schema_check_catches_a_broken_file(tmp_path, compose, mistake):
    broken = {**compose, "services": {**compose["services"], "web": {**compose["services"]["web"], **mistake}}}
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(broken))
    result = check_jsonschema(path)
    assert result.returncode != 0, result.stdout


def test_every_service_has_a_health_check_and_waits_for_healthy_dependencies(services):
    assert set(services) == {"postgres", "redis", "action-server", "rasa", "web", "proxy"}
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), name
        assert service.get("restart") == "unless-stopped", name
        for dependency, condition in (service.get("depends_on") or {}).items():
            assert dependency in services, (name, dependency)
            assert condition == {"condition": "service_healthy"}, (name, dependency)
    assert set(services["rasa"]["depends_on"]) == {"postgres", "redis", "action-server"}
    assert {"postgres", "redis", "rasa", "action-server"} <= set(services["web"]["depends_on"])


def test_rasa_runs_the_official_image_with_the_makefiles_model_and_the_production_endpoints(services):
    rasa = services["rasa"]
    assert rasa["image"] == "rasa/rasa:3.6.21-full"
    assert "build" not in rasa
    makefile = (REPO_ROOT / "Makefile").read_text()
    name, out = re.search(r"--fixed-model-name (\S+) --out (\S+)", makefile).groups()
    command = rasa["command"]
    assert command[command.index("--model") + 1] == f"{out}/{name}.tar.gz"
    assert command[command.index("--endpoints") + 1] == "endpoints.production.yml"
    assert rasa["working_dir"] == "/app/bot"
    assert "./bot:/app/bot:ro" in rasa["volumes"] and "./safety:/app/safety:ro" in rasa["volumes"]
    assert set(rasa["environment"]["PYTHONPATH"].split(":")) == {"/app", "/app/bot"}
    # the HTTP API is on (the console uses it) and always behind the required token
    assert "--enable-api" in command
    assert re.fullmatch(r"\$\{TRIALBOT_RASA_TOKEN:\?[^}]+\}", command[command.index("--auth-token") + 1])


def test_rasa_gets_every_variable_the_production_endpoints_file_needs(services):
    endpoints = (REPO_ROOT / "bot" / "endpoints.production.yml").read_text()
    parsed = yaml.safe_load(endpoints)
    endpoints = "\n".join(line for line in endpoints.splitlines() if not line.lstrip().startswith("#"))
    assert parsed["tracker_store"]["type"] == "SQL" and parsed["tracker_store"]["dialect"] == "postgresql"
    # Rasa's RedisLockStore, its lock changes made atomic (bot/stores/redis_lock.py, tests/integration)
    assert parsed["lock_store"]["type"] == "stores.redis_lock.AtomicRedisLockStore"
    needed = {m.group(1) for m in VARIABLE.finditer(endpoints)}
    environment = services["rasa"]["environment"]
    assert needed <= set(environment), needed - set(environment)
    assert environment["POSTGRES_HOST"] == "postgres" and environment["REDIS_HOST"] == "redis"
    action_url = urlsplit(environment["ACTION_SERVER_URL"])
    action_command = services["action-server"]["command"]
    assert action_url.hostname == "action-server"
    assert str(action_url.port) == action_command[action_command.index("--port") + 1]


def test_replicas_sit_behind_service_names(services):
    for name in REPLICATED:
        service = services[name]
        assert service["deploy"]["replicas"] >= 2, name
        assert "container_name" not in service and "ports" not in service, name
    web = services["web"]["environment"]
    assert urlsplit(web["TRIALBOT_RASA_URL"]).hostname == "rasa"
    assert urlsplit(web["TRIALBOT_ACTION_SERVER_URL"]).hostname == "action-server"
    assert services["web"]["image"] == services["action-server"]["image"]


def test_only_the_tls_proxy_is_published_and_it_never_routes_rasas_api(services):
    assert [name for name, service in services.items() if "ports" in service] == ["proxy"]
    assert sorted(services["proxy"]["ports"]) == ["443:443", "80:80"]
    nginx = (REPO_ROOT / "deploy" / "nginx.conf").read_text()
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in services["proxy"]["volumes"]
    upstreams = dict(re.findall(r"upstream (\w+) \{\s*server ([\w-]+):\d+;", nginx))
    assert upstreams == {"rasa_channels": "rasa", "web": "web"}
    routes = re.findall(r"location ([^{]+)\{\s*proxy_pass http://(\w+);", nginx)
    assert [(where.strip(), to) for where, to in routes] == [
        (r"~ ^/webhooks/(telegram|twilio|facebook)/webhook$", "rasa_channels"), ("/", "web")]
    assert "ssl_certificate /etc/nginx/tls/fullchain.pem;" in nginx


def test_secrets_are_required_and_have_no_default(text, services):
    uses = [(m.group(1), m.group(2), m.group(3)) for m in VARIABLE.finditer(text)]
    for name in REQUIRED_SECRETS:
        found = [(op, arg) for var, op, arg in uses if var == name]
        assert found, f"{name} is not used"
        assert all(op == ":?" and arg for op, arg in found), (name, found)
    for name, op, arg in uses:
        if any(word in name for word in SECRET_WORDS) and name not in REQUIRED_SECRETS:
            assert op == ":-" and arg == "", f"optional secret {name} must default to empty, not {arg!r}"
    for service_name, service in services.items():  # no literal secret in any environment
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in SECRET_WORDS) or "@" in str(value):
                assert "${" in str(value), (service_name, key)


def test_environment_names_are_settings_of_the_project(services):
    known = settings_env_names()
    for name, service in services.items():
        for key in service.get("environment") or {}:
            if key.startswith("TRIALBOT_"):
                assert key in known, f"{name}: {key} is not a field of trialbot/settings.py"


def test_every_compose_variable_is_documented_in_the_env_example(text):
    example = (REPO_ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    used = {m.group(1) for m in VARIABLE.finditer(text)}
    assert used <= documented, used - documented


def test_the_dockerfile_installs_every_package_of_the_project():
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, flags=re.MULTILINE))
    assert packages <= copied, packages - copied
    assert re.search(r"^FROM python:3\.11", dockerfile, flags=re.MULTILINE)
    assert "pip install -e ." in dockerfile and "trialbot index" in dockerfile
    assert re.search(r"^USER (?!root)\w+", dockerfile, flags=re.MULTILINE)
    uses_redis_storage = any(str(value).startswith("redis://") for service in yaml.safe_load(COMPOSE.read_text())[
        "services"].values() for value in (service.get("environment") or {}).values())
    assert not uses_redis_storage or '"redis>=' in dockerfile, "limits' redis:// storage needs the redis package"
    ignored = set((REPO_ROOT / ".dockerignore").read_text().split())
    assert {".venv", ".venv-rasa", ".env", ".git", "var"} <= ignored
