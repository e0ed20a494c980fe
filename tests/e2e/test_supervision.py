"""``trialbot run`` supervises its servers: Ctrl-C stops all three; a server that dies stops the rest."""

import os
import signal
import subprocess
import time

import httpx
import pytest

from trialbot.runner import port_in_use
from trialbot.stack import running_stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e


def wait_until_free(port_list: list[int], timeout_s: float = 60) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not any(port_in_use("127.0.0.1", port) for port in port_list):
            return True
        time.sleep(0.5)
    return False


def test_a_dying_server_is_named_and_the_others_are_stopped(tmp_path):
    with running_stack(tmp_path) as stack:
        action_port = stack.ports()[2]
        found = subprocess.run(["pgrep", "-f", f"actions.server --host 127.0.0.1 --port {action_port}"],
                               capture_output=True, text=True)
        pid = int(found.stdout.split()[0])
        os.kill(pid, signal.SIGKILL)
        _, stderr = stack.process.communicate(timeout=90)
        assert stack.process.returncode == 1, stderr
        assert "the action server stopped" in stderr and "stopping the others" in stderr
        assert wait_until_free(stack.ports())
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{stack.url}/health", timeout=2)


def test_ctrl_c_stops_all_three_servers(tmp_path):
    stack = start_stack(tmp_path)
    stop_stack(stack)
    assert stack.process.returncode == 0
    assert wait_until_free(stack.ports())


def test_a_server_dying_while_the_others_start_stops_the_start(tmp_path):
    """The action server is killed while ``trialbot run`` still waits for the web service: it stops at once,
    naming the server, instead of waiting for the start-up deadline."""
    from trialbot.stack import free_port

    web, rasa, actions = free_port(), free_port(), free_port()
    env = {**os.environ, "TRIALBOT_WEB_PORT": str(web), "TRIALBOT_RASA_PORT": str(rasa),
           "TRIALBOT_ACTION_PORT": str(actions), "TRIALBOT_LOG_DIR": str(tmp_path),
           "TRIALBOT_TRACKER_DB": str(tmp_path / "tracker.db"),
           "TRIALBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'cases.db'}"}
    from trialbot.settings import REPO_ROOT

    process = subprocess.Popen([str(REPO_ROOT / ".venv" / "bin" / "trialbot"), "run"], cwd=REPO_ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not port_in_use("127.0.0.1", rasa) or not port_in_use("127.0.0.1", actions):
            assert time.monotonic() < deadline and process.poll() is None, "the servers did not start"
            time.sleep(0.2)
        found = subprocess.run(["pgrep", "-f", f"actions.server --host 127.0.0.1 --port {actions}"],
                               capture_output=True, text=True)
        os.kill(int(found.stdout.split()[0]), signal.SIGKILL)
        _, stderr = process.communicate(timeout=90)
        assert process.returncode == 1, stderr
        assert "the action server stopped" in stderr and "stopping the others" in stderr
        assert wait_until_free([web, rasa, actions])
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
