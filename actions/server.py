"""Entry point of the action server: rasa_sdk's Sanic app, served in one process on a chosen host.

rasa_sdk's own runner binds every interface and starts Sanic's multi-process manager, which clashes
with the process start method the knowledge libraries fix at import. One process per action server
is what we want anyway: the index and model are loaded once, and replicas scale out.
"""

from __future__ import annotations

import argparse
import logging

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Request, response
from sanic.exceptions import SanicException

from privacy.schedule import purge_periodically
from safety.redaction import install_process_redaction
from trialbot.settings import PrivacySettings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Serve the project's Rasa custom actions.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: localhost only)")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--actions", default="actions", help="package holding the actions")
    return parser


log = logging.getLogger(__name__)


def bare_error(request: Request, error: Exception) -> response.HTTPResponse:
    """An action that raised: a bare 500 naming the action, never the tracker (Rasa logs the body it gets)."""
    if isinstance(error, SanicException):
        return response.json({"error": str(error.message or "request error")}, status=error.status_code)
    try:
        action = (request.json or {}).get("next_action", "unknown")
    except Exception:  # noqa: BLE001 - a malformed body must not fail the error handler itself
        action = "unknown"
    log.error("action %s failed: %s", action, type(error).__name__)
    return response.json({"error": "the action failed", "action_name": action}, status=500)


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # No contact details in the logs (redacted in every record), no HTTP-client request lines.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    install_process_redaction("sanic.root", "sanic.error", "sanic.access", "rasa_sdk")
    executor = ActionExecutor()
    executor.register_package(args.actions)
    app = create_app(executor, cors_origins=None)
    # rasa_sdk's own handler answers with the whole request (the tracker) and logs the exception text: replace it
    app.error_handler.cached_handlers[(Exception, None)] = bare_error
    privacy = PrivacySettings()
    if privacy.purge_interval_s > 0:
        app.add_task(purge_periodically(privacy))  # retention: old conversations and cases are erased
    app.run(host=args.host, port=args.port, single_process=True, access_log=False, motd=False)


if __name__ == "__main__":
    main()
