"""``python -m evaluation.handoff_benchmark``: the handoff figures, each against a baseline from the same run.

1. **Case creation**: ``CaseStore.create_case`` with a realistic handoff (transcript, screening result) on an
   SQLite file, and on a throw-away PostgreSQL server from Debian's package (``tests/cases/pgserver.py``) when
   one can be started; baseline: ``get_case`` of an existing case in the same store (a trivial read).
2. **Console queue with many cases**: ``GET /navigator`` (the HTML queue) and ``GET /api/navigator/cases`` from a
   real web service process (``uvicorn --factory web.app:app_factory``) whose database holds 1,000 cases (the
   page shows 50 per status group, the API its default first 100);
   baseline: the same requests to a second web process whose database holds 10.
3. **Live reply delay** on the real stack (``trialbot run``): a navigator's reply ``POST`` until the patient's
   ``/api/chat/messages`` poll returns it (polled every 20 ms); baseline: a ``GET /health`` round trip.

Rounds are interleaved (baseline, measurement, baseline ...) so drifting load hits both. Medians and ratios go
to ``evaluation/reports/handoff.md`` (see :mod:`evaluation.handoff_report`).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from cases.schemas import CaseCreate, CaseUpdate
from cases.store import CaseStore
from evaluation.handoff_client import TRIAL, NavigatorClient, PatientChat, handoff_by_phone
from trialbot.settings import REPO_ROOT
from trialbot.stack import free_port, running_stack
from web.navigator.api import DEFAULT_CASES_PER_REQUEST

NAVIGATOR, PASSWORD = "bench-navigator", "benchmark password 0123456789"


@dataclass
class Figure:
    """One measurement and its baseline: samples in seconds, and what was measured."""

    name: str
    baseline_name: str
    samples: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def baseline_ms(self) -> float:
        return statistics.median(self.baseline) * 1000

    @property
    def ratio(self) -> float:
        return self.median_ms / self.baseline_ms if self.baseline_ms else float("inf")


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def handoff(sender: str, messages: int = 14, urgent: bool = False, channel: str = "rest") -> CaseCreate:
    """A handoff as the action server sends it after a pre-screening: transcript, facts, per-criterion result."""
    line = "a question about the trial and its visits " * 2
    transcript = [{"role": "user" if i % 2 == 0 else "bot", "at": "2027-01-15T09:00:00+00:00",
                   "text": f"message {i}: {line}"} for i in range(messages)]
    criteria = [{"id": f"criterion_{i}", "status": ("met", "unknown", "not_met")[i % 3], "reason": "from the answers"}
                for i in range(12)]
    return CaseCreate(
        trial_id=TRIAL, sender_id=sender, channel=channel, urgency="urgent" if urgent else "normal",
        contact_method="phone", contact_value="+442079460958", preferred_language="English",
        preferred_time="weekday mornings", consent_given_at=datetime.now(UTC), consent_version="handoff-consent-v1",
        screening_outcome="needs_review", screening_facts={"age": 62, "ecog": 1},
        screening_result={"outcome": "needs_review", "criteria": criteria},
        unanswered_questions=["Is there parking at the hospital?"], transcript=transcript)


def seed_cases(store: CaseStore, count: int) -> None:
    """``count`` cases of the trial: one in ten urgent, two channels, a quarter moved on from "new"."""
    for i in range(count):
        case = store.create_case(handoff(f"seed-{i}-{uuid.uuid4().hex[:8]}", urgent=i % 10 == 0,
                                         channel="telegram" if i % 3 == 0 else "rest"))
        if i % 4 == 1:
            store.update(case.id, CaseUpdate(status=("in_review", "contacted", "closed")[i % 3]), "seed")


# ---- 1. case creation ------------------------------------------------------------------------------------


def measure_case_creation(store: CaseStore, rounds: int, label: str) -> Figure:
    """``create_case`` of a new handoff against ``get_case`` of an existing case, interleaved."""
    existing = store.create_case(handoff("warm-up")).id
    store.get_case(existing)
    figure = Figure(f"create a case ({label})", f"read one case ({label})")
    for _ in range(rounds):
        figure.baseline.append(timed(lambda: store.get_case(existing)))
        figure.samples.append(timed(lambda: store.create_case(handoff(uuid.uuid4().hex))))
    return figure


def case_creation_figures(rounds: int, postgres: bool = True) -> list[Figure]:
    figures = []
    with tempfile.TemporaryDirectory() as folder:
        store = CaseStore.from_url(f"sqlite:///{Path(folder) / 'cases.db'}")
        try:
            figures.append(measure_case_creation(store, rounds, "SQLite file"))
        finally:
            store.dispose()
    if postgres:
        figures.extend(_postgres_case_creation(rounds))
    return figures


def _postgres_case_creation(rounds: int) -> list[Figure]:
    sys.path.insert(0, str(REPO_ROOT / "tests" / "cases"))
    try:
        from pgserver import PostgresMissing, running_postgres
    finally:
        sys.path.pop(0)
    try:
        with running_postgres() as server:
            store = CaseStore.from_url(server.create_database("handoff_bench"))
            try:
                figure = measure_case_creation(store, rounds, "PostgreSQL")
            finally:
                store.dispose()
    except (PostgresMissing, RuntimeError) as exc:
        print(f"PostgreSQL not measured: {str(exc).splitlines()[0]}", file=sys.stderr)
        return []
    figure.note = "test server: fsync=off, synchronous_commit=off (tests/cases/pgserver.py)"
    return [figure]


# ---- 2. the console queue --------------------------------------------------------------------------------


@contextmanager
def web_process(database_url: str, log_path: Path, rasa_url: str = "http://127.0.0.1:9") -> Iterator[str]:
    """The web service as ``trialbot run`` starts it, on its own database; yields its URL."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "TRIALBOT_DATABASE_URL": database_url,
           "TRIALBOT_SESSION_SECRET": secrets.token_urlsafe(48), "TRIALBOT_RASA_URL": rasa_url,
           "TRIALBOT_LOGIN_RATE_LIMIT": "1000/minute"}
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "web.app:app_factory", "--host", "127.0.0.1", "--port",
             str(port), "--no-access-log"], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/navigator/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the web service did not start; see {log_path}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def measure_queue(many: int, few: int, rounds: int, folder: Path) -> list[Figure]:
    """Queue page and queue API with ``many`` cases against the same with ``few``, interleaved."""
    urls = {}
    stores = {}
    for count in (few, many):
        store = CaseStore.from_url(f"sqlite:///{folder / f'queue-{count}.db'}")
        store.add_navigator(NAVIGATOR, PASSWORD, [TRIAL])
        seed_cases(store, count)
        stores[count] = store
    figures = [Figure(f"queue page `GET /navigator`, {many} cases", f"the same, {few} cases"),
               Figure(f"queue API `GET /api/navigator/cases` (first page), {many} cases", f"the same, {few} cases")]
    sizes: dict[str, int] = {}
    with web_process(f"sqlite:///{folder / f'queue-{few}.db'}", folder / "web-few.log") as urls[few], \
            web_process(f"sqlite:///{folder / f'queue-{many}.db'}", folder / "web-many.log") as urls[many], \
            httpx.Client(trust_env=False) as client:
        navigators = {count: NavigatorClient(urls[count], client).sign_in(NAVIGATOR, PASSWORD) for count in urls}
        for count, navigator in navigators.items():  # warm-up, and the pages really hold the cases
            page = _ok(navigator.request("GET", "/navigator"))
            api = _ok(navigator.request("GET", "/api/navigator/cases"))
            listed, total = len(api.json()), int(api.headers["x-total-count"])
            if total != count or listed != min(count, DEFAULT_CASES_PER_REQUEST):
                raise RuntimeError(f"the queue API lists {listed} of {total} cases, not the first page of {count}")
            sizes[f"page-{count}"], sizes[f"api-{count}"] = len(page.content), len(api.content)
        for _ in range(rounds):
            for figure, path in zip(figures, ("/navigator", "/api/navigator/cases"), strict=True):
                figure.baseline.append(timed(lambda n=navigators[few], p=path: _ok(n.request("GET", p))))
                figure.samples.append(timed(lambda n=navigators[many], p=path: _ok(n.request("GET", p))))
    for store in stores.values():
        store.dispose()
    figures[0].note = f"{sizes[f'page-{many}'] / 1024:.0f} KiB of HTML vs {sizes[f'page-{few}'] / 1024:.1f} KiB"
    figures[1].note = f"{sizes[f'api-{many}'] / 1024:.0f} KiB of JSON vs {sizes[f'api-{few}'] / 1024:.1f} KiB"
    return figures


def _ok(response: httpx.Response) -> httpx.Response:
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.url.path}: HTTP {response.status_code}")
    return response


# ---- 3. live reply ---------------------------------------------------------------------------------------


def measure_live_reply(url: str, database_url: str, rounds: int, poll_interval_s: float = 0.02) -> Figure:
    """On a running stack: hand a conversation off, take it over, then per round time one reply until the
    patient's poll returns it, against a ``/health`` round trip. Hands the conversation back at the end."""
    store = CaseStore.from_url(database_url)
    try:
        if store.get_navigator(NAVIGATOR) is None:
            store.add_navigator(NAVIGATOR, PASSWORD, [TRIAL])
    finally:
        store.dispose()
    figure = Figure("live reply: navigator `POST …/reply` until the patient's poll has it",
                    "`GET /health` round trip")
    with httpx.Client(trust_env=False) as client:
        chat = PatientChat(url, client)
        reference = handoff_by_phone(chat)
        navigator = NavigatorClient(url, client).sign_in(NAVIGATOR, PASSWORD)
        case_id = navigator.case_by_reference(reference)["id"]
        navigator.call("POST", f"/api/navigator/cases/{case_id}/take")
        cursor = chat.poll()["cursor"]
        posts: list[float] = []
        try:
            for number in range(rounds):
                figure.baseline.append(timed(lambda: _ok(client.get(f"{url}/health", timeout=30))))
                text = f"Reply number {number} from the benchmark."
                started = time.perf_counter()
                navigator.call("POST", f"/api/navigator/cases/{case_id}/reply", json={"text": text})
                posts.append(time.perf_counter() - started)
                while True:
                    answer = chat.poll(cursor)
                    if any(m["text"] == text for m in answer["messages"]):
                        figure.samples.append(time.perf_counter() - started)
                        cursor = answer["cursor"]
                        break
                    if time.perf_counter() - started > 60:
                        raise RuntimeError("the reply did not reach the patient's poll within 60 s")
                    time.sleep(poll_interval_s)
        finally:
            navigator.call("POST", f"/api/navigator/cases/{case_id}/hand-back")
    figure.note = (f"the reply `POST` alone: {statistics.median(posts) * 1000:.0f} ms; polled every "
                   f"{poll_interval_s * 1000:.0f} ms; the widget polls every 3 s (adds 0–3 s, 1.5 s mean)")
    return figure


def live_reply_figures(rounds: int) -> list[Figure]:
    with tempfile.TemporaryDirectory() as logs, \
            running_stack(Path(logs), extra_env={"TRIALBOT_MESSAGES_RATE_LIMIT": "100000/minute"}) as stack:
        return [measure_live_reply(stack.url, f"sqlite:///{Path(logs) / 'cases.db'}", rounds)]


def main(argv: list[str] | None = None) -> int:
    from evaluation.handoff_report import REPORT, write_report

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="measurements per figure (default 30)")
    parser.add_argument("--cases", type=int, default=1000, help="cases in the large queue (default 1000)")
    parser.add_argument("--few", type=int, default=10, help="cases in the baseline queue (default 10)")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--no-stack", action="store_true", help="skip the live reply (needs the trained bot)")
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    figures = case_creation_figures(args.rounds, postgres=not args.no_postgres)
    with tempfile.TemporaryDirectory() as folder:
        figures += measure_queue(args.cases, args.few, args.rounds, Path(folder))
    if not args.no_stack:
        figures += live_reply_figures(args.rounds)
    text = write_report(figures, args.report, counts={"rounds": args.rounds, "cases": args.cases, "few": args.few},
                        seconds=time.perf_counter() - started, load=(load_before, os.getloadavg()[0]))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
