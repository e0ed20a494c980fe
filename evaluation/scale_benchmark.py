"""``python -m evaluation.scale_benchmark``: sessions per minute and turn latency with one and two Rasa servers.

The stack is :mod:`evaluation.scale_stack` (real PostgreSQL tracker store, real Redis lock store, one action
server, two Rasa servers), all on 127.0.0.1. A *session* is :data:`SCRIPT`, a short scripted conversation (a
greeting, a question answered from the documents, the start of a pre-screening, consent declined); its turns go
round-robin over the Rasa servers in use, through Rasa's REST channel (``POST /webhooks/rest/webhook``).

1. **Sessions per minute held**: ``concurrency`` conversations at once for ``duration_s`` seconds, on one Rasa
   server, then on two (the second server stays up, idle, during the one-server run); the pair is repeated
   ``throughput_rounds`` times, interleaved, so drifting load from other work hits both alike.
2. **Turn latency** (p50, p95) at 1, 10 and 50 concurrent conversations, turns round-robined over both servers.
3. **Errors**: HTTP status other than 200, empty replies, timeouts and connection errors, counted by kind.

Every loop is bounded in count and in time. Writes ``evaluation/reports/scale.md`` (see :func:`write_report`) and
the raw figures (every turn's latency) beside it, ``scale.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from trialbot.settings import REPO_ROOT

REPORT = REPO_ROOT / "evaluation" / "reports" / "scale.md"
SCRIPT = ("hello", "what is this trial testing?", "check if I can join", "no")


@dataclass
class LoadResult:
    """What one load run saw: turns sent, latencies (s) of those answered over HTTP, sessions, errors by kind."""

    servers: int
    concurrency: int
    turns: int = 0
    latencies: list[float] = field(default_factory=list)
    sessions_ok: int = 0
    sessions_failed: int = 0
    errors: Counter = field(default_factory=Counter)
    wall_s: float = 0.0

    @property
    def sessions_per_minute(self) -> float:
        return self.sessions_ok / self.wall_s * 60 if self.wall_s else 0.0

    def percentile_ms(self, q: float) -> float:
        """Nearest-rank percentile of the turn latencies, in ms (nan when there are none)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))] * 1000


async def _turn(client: httpx.AsyncClient, url: str, sender: str, message: str, result: LoadResult) -> bool:
    result.turns += 1
    started = time.perf_counter()
    try:
        response = await client.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message})
    except httpx.HTTPError as exc:
        result.errors[type(exc).__name__] += 1
        return False
    result.latencies.append(time.perf_counter() - started)
    if response.status_code != 200:
        result.errors[f"HTTP {response.status_code}"] += 1
        return False
    if not response.json():
        result.errors["empty reply"] += 1
        return False
    return True


async def run_session(client: httpx.AsyncClient, urls: list[str], first: int, result: LoadResult,
                      script: tuple[str, ...] = SCRIPT) -> bool:
    """One scripted conversation; turn i goes to ``urls[(first + i) % len(urls)]``. True when every turn worked."""
    sender = uuid.uuid4().hex
    ok = True
    for i, message in enumerate(script):
        ok = await _turn(client, urls[(first + i) % len(urls)], sender, message, result) and ok
    return ok


async def run_load(urls: list[str], concurrency: int, max_sessions: int, max_seconds: float,
                   timeout_s: float = 60.0, script: tuple[str, ...] = SCRIPT) -> LoadResult:
    """``concurrency`` conversations at once; each worker starts sessions until ``max_sessions`` were started or
    ``max_seconds`` passed, and finishes the one it is in. Sessions start on servers in turn."""
    result = LoadResult(servers=len(urls), concurrency=concurrency)
    started_sessions = 0
    limits = httpx.Limits(max_connections=concurrency + 4, max_keepalive_connections=concurrency + 4)
    async with httpx.AsyncClient(timeout=timeout_s, limits=limits) as client:
        begin = time.perf_counter()

        async def worker() -> None:
            nonlocal started_sessions
            while started_sessions < max_sessions and time.perf_counter() - begin < max_seconds:
                first = started_sessions
                started_sessions += 1
                if await run_session(client, urls, first, result, script):
                    result.sessions_ok += 1
                else:
                    result.sessions_failed += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.wall_s = time.perf_counter() - begin
    return result


@dataclass
class BenchmarkPlan:
    """How much load to send; the defaults take about ten minutes on two cores."""

    throughput_concurrency: int = 10
    throughput_seconds: float = 60.0
    throughput_rounds: int = 2
    latency_levels: tuple[int, ...] = (1, 10, 50)
    latency_sessions: tuple[int, ...] = (20, 40, 100)
    latency_max_seconds: float = 180.0
    warmup_sessions: int = 2


def run_benchmark(rasa_urls: list[str], plan: BenchmarkPlan) -> dict[str, list[LoadResult]]:
    """Warm up every server, then the throughput runs (one server, then all) and the latency runs (all servers)."""
    for url in rasa_urls:
        asyncio.run(run_load([url], 1, plan.warmup_sessions, 120.0))
    throughput = []
    for _round in range(plan.throughput_rounds):
        for count in sorted({1, len(rasa_urls)}):
            throughput.append(asyncio.run(run_load(rasa_urls[:count], plan.throughput_concurrency, 1_000_000,
                                                   plan.throughput_seconds)))
            print(_line("throughput", throughput[-1]), flush=True)
    latency = []
    for level, sessions in zip(plan.latency_levels, plan.latency_sessions, strict=True):
        latency.append(asyncio.run(run_load(rasa_urls, level, sessions, plan.latency_max_seconds)))
        print(_line("latency", latency[-1]), flush=True)
    return {"throughput": throughput, "latency": latency}


def _line(kind: str, r: LoadResult) -> str:
    return (f"{kind}: servers={r.servers} concurrency={r.concurrency} sessions={r.sessions_ok} "
            f"failed={r.sessions_failed} turns={r.turns} wall={r.wall_s:.1f}s sessions/min={r.sessions_per_minute:.1f} "
            f"p50={r.percentile_ms(0.5):.0f}ms p95={r.percentile_ms(0.95):.0f}ms errors={dict(r.errors)}")


def machine_description() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    return f"{os.cpu_count()} cores ({cpu}), Linux {platform.release()}, Python {sys.version.split()[0]}"


def _errors(r: LoadResult) -> str:
    return ", ".join(f"{kind}: {n}" for kind, n in sorted(r.errors.items())) or "none"


def _mean_rate(results: list[LoadResult], servers: int) -> float:
    rates = [r.sessions_per_minute for r in results if r.servers == servers]
    return sum(rates) / len(rates) if rates else float("nan")


def _spread(results: list[LoadResult], counts: list[int]) -> list[str]:
    """One line on run-to-run spread, when each set-up ran more than once."""
    ranges = {n: sorted(r.sessions_per_minute for r in results if r.servers == n) for n in counts}
    if len(counts) < 2 or any(len(rates) < 2 for rates in ranges.values()):
        return []
    low, high = ranges[counts[0]], ranges[counts[-1]]
    overlap = low[-1] >= high[0] and high[-1] >= low[0]
    text = ", ".join(f"{n} server{'s' if n > 1 else ''} {rates[0]:.1f}–{rates[-1]:.1f}" for n, rates in ranges.items())
    verdict = ("the ranges overlap: the difference between set-ups is within the noise of this machine" if overlap
               else "the ranges do not overlap")
    return [f"- Range over runs: {text}; {verdict}."]


def write_report(results: dict[str, list[LoadResult]], plan: BenchmarkPlan, path: Path, notes: dict[str, str]) -> str:
    """The Markdown report: the set-up, both tables, errors and honest notes. Returns the text written."""
    throughput, latency = results["throughput"], results["latency"]
    counts = sorted({r.servers for r in throughput})
    gain = _mean_rate(throughput, counts[-1]) / _mean_rate(throughput, counts[0]) if len(counts) > 1 else float("nan")
    everything = throughput + latency
    failed_turns = sum(sum(r.errors.values()) for r in everything)
    lines = [
        "# Scale-out: sessions per minute and turn latency",
        "",
        f"Measured {notes.get('date', datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC'))} by "
        "`python -m evaluation.scale_benchmark` on one machine: "
        f"{notes.get('machine', machine_description())}; shared with other work, so figures are noisy "
        f"(load average {notes.get('load_before', '?')} before, {notes.get('load_after', '?')} after).",
        "",
        "Stack (`evaluation/scale_stack.py`): two Rasa 3.6.21 servers (`rasa run`, one Sanic worker each) with "
        "`bot/endpoints.production.yml`: PostgreSQL tracker store and Redis lock store (Debian's packages; the "
        "throw-away PostgreSQL runs with fsync off), one action server (the FAISS index in process), cases on "
        "the same PostgreSQL. The web service is not in the path: turns go straight to Rasa's REST channel.",
        "",
        f"A session is {len(SCRIPT)} turns: " + ", ".join(f"\"{m}\"" for m in SCRIPT) + " (a response, an answer "
        "from the documents, the pre-screening's consent step, consent declined); its turns alternate over the "
        "servers in use.",
        "",
        "## Sessions per minute held",
        "",
        f"{plan.throughput_concurrency} conversations at once for {plan.throughput_seconds:.0f} s per run; runs "
        "with one and with two servers interleaved.",
        "",
        "| run | Rasa servers | sessions | sessions per minute | turns | p50 ms | p95 ms | failed sessions | errors |",
        "|---|---|---|---|---|---|---|---|---|",
        *[f"| {i} | {r.servers} | {r.sessions_ok} | {r.sessions_per_minute:.1f} | {r.turns} "
          f"| {r.percentile_ms(0.5):.0f} | {r.percentile_ms(0.95):.0f} | {r.sessions_failed} | {_errors(r)} |"
          for i, r in enumerate(throughput, start=1)],
        "",
        *[f"- {n} Rasa server{'s' if n > 1 else ''}: **{_mean_rate(throughput, n):.1f}** sessions per minute "
          "(mean of runs)" for n in counts],
        f"- {counts[-1]} against {counts[0]}: **{gain:.2f}×**",
        *_spread(throughput, counts),
        "",
        "## Turn latency by concurrent conversations (both Rasa servers)",
        "",
        "| concurrent conversations | sessions | turns | p50 ms | p95 ms | sessions per minute | failed sessions "
        "| errors |",
        "|---|---|---|---|---|---|---|---|",
        *[f"| {r.concurrency} | {r.sessions_ok} | {r.turns} | {r.percentile_ms(0.5):.0f} | {r.percentile_ms(0.95):.0f} "
          f"| {r.sessions_per_minute:.1f} | {r.sessions_failed} | {_errors(r)} |" for r in latency],
        "",
        "## Errors",
        "",
        f"{failed_turns} failed turns out of {sum(r.turns for r in everything)} sent in all runs together (an HTTP "
        "status other than 200, an empty reply, a timeout after 60 s or a connection error).",
        "",
        "## Notes",
        "",
        "- Two cores run everything: both Rasa servers, the action server (a sentence embedding for every question), "
        "PostgreSQL, Redis and the load generator. A Rasa server does its NLU and policy work on one event loop, so "
        "a second one can use the core the first leaves idle, but it competes with all the rest: two Rasa servers "
        "on two cores cannot double throughput, and this gain does not predict scaling on more machines. "
        "Replicas add throughput when each gets cores of its own.",
        "- The machine was shared with other work during the run (see the load average): compare the interleaved "
        "runs with each other to judge the noise before reading anything into a difference.",
        "- Latency at many concurrent conversations is queueing: each turn waits for the CPU-bound turns ahead of "
        "it on the same two cores.",
        "- Nearest-rank percentiles over all turns of a run.",
        "- Not measured here: the web service in front (`/api/chat`, see `latency.md`), PostgreSQL with fsync on, "
        "Rasa servers on separate machines.",
        *[f"- {text}" for key, text in notes.items() if key.startswith("note")],
        "",
    ]
    text = "\n".join(lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    from evaluation.scale_stack import StoreMissing, running_scale_stack

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each throughput run")
    parser.add_argument("--concurrency", type=int, default=10, help="conversations at once in throughput runs")
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    plan = BenchmarkPlan(throughput_concurrency=args.concurrency, throughput_seconds=args.seconds)
    load_before = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    try:
        with tempfile.TemporaryDirectory(prefix="trialbot-scale-") as logs:
            started = time.perf_counter()
            with running_scale_stack(Path(logs), rasa_servers=2) as stack:
                ready_s = time.perf_counter() - started
                print(f"stack ready in {ready_s:.0f} s", flush=True)
                results = run_benchmark(stack.rasa_urls, plan)
    except StoreMissing as exc:
        print(f"scale_benchmark: {exc}", file=sys.stderr)
        return 2
    notes = {"load_before": load_before, "load_after": "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
             "note_ready": f"The stack (PostgreSQL, Redis, action server, two Rasa servers started in parallel) "
                           f"was ready {ready_s:.0f} s after start; each Rasa server loads its model on start."}
    print(write_report(results, plan, args.report, notes))
    raw = {kind: [{**asdict(r), "errors": dict(r.errors), "latencies": [round(x, 4) for x in r.latencies]}
                  for r in runs] for kind, runs in results.items()}
    args.report.with_suffix(".json").write_text(json.dumps(raw, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
