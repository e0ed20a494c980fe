"""Answering each chat message once: a retry with the same ``message_id`` gets the first answer.

A patient's phone can lose the answer after the assistant has already handled the message; the widget then
sends the same message again, with the same id. While the first attempt is still running, the retry waits for
it; once it has succeeded, its answer is replayed for ``ttl_s``. A failed attempt (a fault reply) is not kept,
so a retry after a fault is sent to the assistant again. The memory is per web process.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

Answer = tuple[list[dict[str, Any]], str | None]  # the messages and the fault (None: a real answer)


class ChatReplayCache:
    """Runs one attempt per (sender, message id) at a time and remembers successful answers."""

    def __init__(self, ttl_s: float = 600.0, max_entries: int = 10_000) -> None:
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._answers: OrderedDict[tuple[str, str], tuple[float, Answer]] = OrderedDict()
        self._running: dict[tuple[str, str], asyncio.Future[Answer]] = {}

    def _remembered(self, key: tuple[str, str]) -> Answer | None:
        entry = self._answers.get(key)
        if entry is None:
            return None
        stored_at, answer = entry
        if time.monotonic() - stored_at > self._ttl_s:
            del self._answers[key]
            return None
        return answer

    def _remember(self, key: tuple[str, str], answer: Answer) -> None:
        self._answers[key] = (time.monotonic(), answer)
        self._answers.move_to_end(key)
        while len(self._answers) > self._max_entries:
            self._answers.popitem(last=False)

    async def answer_once(self, sender: str, message_id: str | None, attempt: Callable[[], Awaitable[Answer]]
                          ) -> tuple[Answer, bool]:
        """The answer to this message and whether it was replayed (True) rather than produced now."""
        if message_id is None:
            return await attempt(), False
        key = (sender, message_id)
        remembered = self._remembered(key)
        if remembered is not None:
            return remembered, True
        running = self._running.get(key)
        if running is not None:
            return await asyncio.shield(running), True
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            answer = await attempt()
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waited
            raise
        finally:
            self._running.pop(key, None)
        if answer[1] is None:
            self._remember(key, answer)
        future.set_result(answer)
        return answer, False
