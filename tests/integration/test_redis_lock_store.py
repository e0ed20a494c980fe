"""The production lock store (``bot/stores/redis_lock.py``) against a real Redis: two processes issuing tickets for
the same conversation at the same moment each get their own ticket, and none is lost."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from evaluation.scale_stack import StoreMissing, running_redis
from trialbot.settings import REPO_ROOT, RunSettings

pytestmark = pytest.mark.integration

ATOMIC = "stores.redis_lock.AtomicRedisLockStore"


def race(store_path: str) -> dict:
    """Two processes x 150 tickets through ``store_path`` on a fresh Redis; the tickets issued and still held."""
    try:
        with running_redis() as redis:
            result = subprocess.run(
                [str(RunSettings().rasa_venv / "bin" / "python"), str(Path(__file__).with_name("lockrace.py")),
                 store_path, str(redis.port), redis.password],
                cwd=REPO_ROOT / "bot", env={"PYTHONPATH": f"{REPO_ROOT}:{REPO_ROOT / 'bot'}", "PATH": "/usr/bin:/bin"},
                capture_output=True, text=True, timeout=600)
    except StoreMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_simultaneous_tickets_are_unique_and_none_is_lost():
    outcome = race(ATOMIC)
    assert len(outcome["issued"]) == 300
    assert len(set(outcome["issued"])) == 300, "two servers got the same ticket"
    assert sorted(outcome["held"]) == sorted(outcome["issued"]), "a ticket was overwritten"


def test_the_production_endpoints_use_the_atomic_store():
    endpoints = yaml.safe_load((REPO_ROOT / "bot" / "endpoints.production.yml").read_text())
    assert endpoints["lock_store"]["type"] == ATOMIC
