"""The scale-out stack's set-up fails loudly, naming what to install, when a store's binaries are missing."""

import pytest

from evaluation import scale_stack
from evaluation.scale_benchmark import LoadResult

pytestmark = pytest.mark.unit


def test_missing_redis_says_what_to_install(monkeypatch):
    monkeypatch.setattr(scale_stack.shutil, "which", lambda _name: None)
    with pytest.raises(scale_stack.StoreMissing, match="redis-server"), scale_stack.running_redis():
        pass


def test_missing_postgresql_says_what_to_install(monkeypatch):
    real_load = scale_stack._load_pgserver

    def without_binaries():
        module = real_load()
        monkeypatch.setattr(module.glob, "glob", lambda _pattern: [])
        return module

    monkeypatch.setattr(scale_stack, "_load_pgserver", without_binaries)
    with pytest.raises(scale_stack.StoreMissing, match="postgresql"), scale_stack.running_postgres():
        pass


def test_rasa_servers_get_the_production_endpoints_and_the_stores_environment(tmp_path):
    class Postgres:
        host, port, password = "127.0.0.1", 5433, "pg-secret"

        def url(self, database):
            return f"postgresql+psycopg://postgres:pg-secret@127.0.0.1:5433/{database}"

    redis = scale_stack.RedisServer("127.0.0.1", 6380, "redis-secret")
    services = scale_stack.plan(Postgres(), redis, "sqlite:///cases.db", tmp_path, 2, "token")
    actions, *rasas = services
    assert [s.name for s in rasas] == ["Rasa server 1", "Rasa server 2"]
    assert len({s.port for s in services}) == 3
    for rasa in rasas:
        assert rasa.command[rasa.command.index("--endpoints") + 1] == "endpoints.production.yml"
        assert rasa.env["ACTION_SERVER_URL"] == f"http://127.0.0.1:{actions.port}/webhook"
        assert rasa.env["REDIS_PORT"] == "6380" and rasa.env["POSTGRES_PORT"] == "5433"
    assert actions.env["TRIALBOT_TRACKER_URL"].endswith("/rasa")


def test_percentiles_are_nearest_rank():
    result = LoadResult(servers=1, concurrency=1, latencies=[i / 1000 for i in range(1, 101)])
    assert result.percentile_ms(0.5) == pytest.approx(50)
    assert result.percentile_ms(0.95) == pytest.approx(95)
    assert LoadResult(servers=1, concurrency=1).sessions_per_minute == 0.0
