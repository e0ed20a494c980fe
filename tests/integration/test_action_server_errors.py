"""The real action server answers an action that raises with a bare 500: no tracker (no patient data) in the
response, which Rasa would log, nor in the action server's own log."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from trialbot.settings import REPO_ROOT
from trialbot.stack import free_port

pytestmark = pytest.mark.integration

FAILING_ACTION = '''
from rasa_sdk import Action


class ActionThatRaises(Action):
    def name(self):
        return "action_that_raises"

    async def run(self, dispatcher, tracker, domain):
        raise RuntimeError("boom " + tracker.get_slot("contact_value"))
'''
PHONE = "+442079460958"


def test_a_failing_action_leaks_no_patient_data(tmp_path):
    package = tmp_path / "failing_actions"
    package.mkdir()
    (package / "__init__.py").write_text(FAILING_ACTION)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO_ROOT)]),
           "TRIALBOT_PURGE_INTERVAL_S": "0"}
    server = subprocess.Popen([sys.executable, "-m", "actions.server", "--port", str(port), "--actions",
                               "failing_actions"], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the action server did not start"
            time.sleep(0.5)
        call = {"next_action": "action_that_raises", "sender_id": "patient-1", "version": "3.6.21", "domain": {},
                "tracker": {"sender_id": "patient-1", "slots": {"contact_value": PHONE}, "latest_message": {
                    "text": f"call me on {PHONE}"}, "events": [{"event": "user", "text": f"call me on {PHONE}"}],
                    "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": None}}
        reply = httpx.post(f"http://127.0.0.1:{port}/webhook", json=call, timeout=30)
        assert reply.status_code == 500
        assert reply.json() == {"error": "the action failed", "action_name": "action_that_raises"}
        assert PHONE not in reply.text
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "action action_that_raises failed: RuntimeError" in output
    assert PHONE not in output and "call me on" not in output
