"""Concurrent patient conversations against the running web service (asyncio + httpx), localhost only.

Each of ``conversations`` workers plays conversations one after another, each with a new sender id, until the
time is up or it has played ``rounds`` of them: even workers ask trial questions (a greeting, then questions
drawn from the gold set ``data/gold_questions.jsonl``), odd workers go through the whole pre-screening in free
text (consent, age, thirteen clear answers, the summary). Between turns a worker waits a random think time.

Every turn is recorded (:class:`Turn`): latency, status, and what went wrong if anything. An error is any
answer but 200, a transport error or timeout, a one-moment reply (``X-Chat-Fault``), or a 200 with no
message at all. A pre-screening counts as completed when its summary says "possibly eligible".
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

GOLD = Path(__file__).resolve().parent / "data" / "gold_questions.jsonl"
QUESTIONS_PER_CONVERSATION = 4
PRESCREENING = ["check if I can join", "yes", "I'm 62", "yes", "none of these",
                "yes, I had carboplatin and etoposide", "yes, from last year", "yes",
                "I can walk around and look after myself but can't do heavy work", "no", "none of these",
                "no, it hasn't spread to the brain", "no", "no", "no", "no"]
COMPLETED = "possibly eligible"


@dataclass
class Turn:
    kind: str  # "question" or "prescreen"
    started: float  # seconds since the load began
    latency_s: float
    status: int  # 0 when no HTTP answer came
    error: str | None  # None, "http_<status>", "transport", "timeout", "fault_<code>", "silent"


@dataclass
class LoadResult:
    turns: list[Turn] = field(default_factory=list)
    conversations: dict[str, int] = field(default_factory=lambda: {"question": 0, "prescreen": 0})
    prescreens_completed: int = 0
    wall_s: float = 0.0

    @property
    def errors(self) -> list[Turn]:
        return [t for t in self.turns if t.error]

    def latencies(self, kind: str | None = None) -> list[float]:
        return [t.latency_s for t in self.turns if kind is None or t.kind == kind]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), interpolated between the nearest ranks; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def load_questions(path: Path = GOLD) -> list[str]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line)["question"] for line in lines if line.strip()]


class _Player:
    """One worker: plays conversations and records their turns into the shared result."""

    def __init__(self, client: httpx.AsyncClient, url: str, result: LoadResult, rng: random.Random,
                 think_s: tuple[float, float], t0: float) -> None:
        self.client, self.url, self.result, self.rng, self.think_s, self.t0 = client, url, result, rng, think_s, t0

    async def say(self, kind: str, sender: str, message: str) -> list[str]:
        started = time.perf_counter()
        status, error, texts = 0, None, []
        try:
            response = await self.client.post(f"{self.url}/api/chat", json={"sender": sender, "message": message})
            status = response.status_code
            if status != 200:
                error = f"http_{status}"
            elif response.headers.get("x-chat-fault"):
                error = f"fault_{response.headers['x-chat-fault']}"
            else:
                texts = [m.get("text") or "" for m in response.json()]
                error = None if response.json() else "silent"
        except httpx.TimeoutException:
            error = "timeout"
        except httpx.HTTPError:
            error = "transport"
        latency = time.perf_counter() - started
        self.result.turns.append(Turn(kind, started - self.t0, latency, status, error))
        return texts

    async def think(self) -> None:
        low, high = self.think_s
        if high > 0:
            await asyncio.sleep(self.rng.uniform(low, high))

    async def questions(self, deadline: float, pool: list[str]) -> None:
        sender = uuid.uuid4().hex
        for message in ["hello", *self.rng.sample(pool, QUESTIONS_PER_CONVERSATION)]:
            if time.perf_counter() > deadline:
                return
            await self.say("question", sender, message)
            await self.think()
        self.result.conversations["question"] += 1

    async def prescreen(self, deadline: float) -> None:
        sender = uuid.uuid4().hex
        texts: list[str] = []
        for message in PRESCREENING:
            if time.perf_counter() > deadline:
                return
            texts = await self.say("prescreen", sender, message)
            await self.think()
        self.result.conversations["prescreen"] += 1
        if COMPLETED in " ".join(texts):
            self.result.prescreens_completed += 1


async def _play(player: _Player, kind: str, deadline: float, pool: list[str]) -> None:
    if kind == "question":
        await player.questions(deadline, pool)
    else:
        await player.prescreen(deadline)


async def run_load(url: str, conversations: int = 50, duration_s: float = 180.0, *, rounds: int | None = None,
                   think_s: tuple[float, float] = (1.0, 3.0), seed: int = 7, timeout_s: float = 60.0,
                   on_tick: Callable[[float], None] | None = None, tick_s: float = 15.0) -> LoadResult:
    """Run ``conversations`` concurrent workers for ``duration_s`` (or ``rounds`` conversations each).
    ``on_tick(elapsed_s)`` is called every ``tick_s`` seconds and at the end (the benchmark samples memory)."""
    pool = load_questions()
    result = LoadResult()
    limits = httpx.Limits(max_connections=conversations + 10, max_keepalive_connections=conversations + 10)
    t0 = time.perf_counter()
    deadline = t0 + duration_s

    async def worker(index: int) -> None:
        player = _Player(client, url, result, random.Random(seed * 1000 + index), think_s, t0)
        await asyncio.sleep(player.rng.uniform(0, min(think_s[1], 3.0)))  # do not start in lockstep
        played = 0
        while time.perf_counter() < deadline and (rounds is None or played < rounds):
            await _play(player, "question" if index % 2 == 0 else "prescreen", deadline, pool)
            played += 1

    async def ticker() -> None:
        while True:
            if on_tick is not None:
                on_tick(time.perf_counter() - t0)
            await asyncio.sleep(tick_s)

    async with httpx.AsyncClient(timeout=timeout_s, limits=limits, trust_env=False) as client:
        ticks = asyncio.create_task(ticker())
        try:
            await asyncio.gather(*(worker(i) for i in range(conversations)))
        finally:
            ticks.cancel()
    result.wall_s = time.perf_counter() - t0
    if on_tick is not None:
        on_tick(result.wall_s)
    return result


async def run_baseline(url: str, rounds: int = 2, seed: int = 11, timeout_s: float = 60.0) -> LoadResult:
    """One conversation at a time, no think time: ``rounds`` times a question conversation then a
    pre-screening. The latency of the same turns with nothing else running."""
    pool = load_questions()
    result = LoadResult()
    t0 = time.perf_counter()
    async with httpx.AsyncClient(timeout=timeout_s, trust_env=False) as client:
        player = _Player(client, url, result, random.Random(seed), (0.0, 0.0), t0)
        for _ in range(rounds):
            for kind in ("question", "prescreen"):
                await _play(player, kind, float("inf"), pool)
    result.wall_s = time.perf_counter() - t0
    return result
