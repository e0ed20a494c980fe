"""A retried chat message (same ``message_id``) is answered once: replayed after a success, joined while the
first attempt runs, sent again after a fault; ids are per sender and validated."""

from __future__ import annotations

import asyncio
import json

import pytest
from fastapi.testclient import TestClient
from webfakes import GOOD_SENDER, RASA_REPLY, StandIn, json_reply

from web.chat_replay import ChatReplayCache
from web.routes.chat import FAULT_HEADER, REPLAY_HEADER

pytestmark = pytest.mark.integration
JSON = {"Content-Type": "application/json"}


def post(client: TestClient, message_id: str | None, sender: str = GOOD_SENDER, message: str = "Is it open?"):
    body = {"sender": sender, "message": message, **({"message_id": message_id} if message_id else {})}
    return client.post("/api/chat", content=json.dumps(body), headers=JSON)


def test_a_retry_with_the_same_id_gets_the_first_answer_and_rasa_sees_the_message_once(client, rasa: StandIn):
    first = post(client, "m-1")
    again = post(client, "m-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() == RASA_REPLY
    assert again.headers[REPLAY_HEADER] == "1" and REPLAY_HEADER not in first.headers
    assert len(rasa.received) == 1
    assert rasa.received[0].json() == {"sender": GOOD_SENDER, "message": "Is it open?"}  # the id is not forwarded


def test_other_ids_other_senders_and_no_id_are_sent_each_time(client, rasa: StandIn):
    post(client, "m-1")
    post(client, "m-2")
    post(client, "m-1", sender="another-patient-42")
    post(client, None)
    post(client, None)
    assert len(rasa.received) == 5


def test_after_a_fault_the_retry_is_sent_again(client, rasa: StandIn):
    rasa.webhook_reply = json_reply({"oops": True}, status=500)
    failed = post(client, "m-9")
    assert failed.status_code == 200 and FAULT_HEADER in failed.headers
    rasa.webhook_reply = json_reply(RASA_REPLY)
    retried = post(client, "m-9")
    assert retried.json() == RASA_REPLY and REPLAY_HEADER not in retried.headers
    assert len(rasa.received) == 2


@pytest.mark.parametrize("bad", ["", "has space", "x" * 65, "<script>", 7, ["m"]])
def test_a_bad_message_id_is_a_clear_422(client, rasa: StandIn, bad):
    body = json.dumps({"sender": GOOD_SENDER, "message": "hi", "message_id": bad})
    response = client.post("/api/chat", content=body, headers=JSON)
    assert response.status_code == 422 and response.json()["error"] == "invalid_message_id"
    assert rasa.received == []


def test_a_retry_while_the_first_attempt_runs_waits_for_it():
    calls = 0

    async def slow_attempt():
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return [{"text": "answer"}], None

    async def both():
        cache = ChatReplayCache()
        return await asyncio.gather(cache.answer_once("s", "m", slow_attempt),
                                    cache.answer_once("s", "m", slow_attempt))

    (first, replayed_first), (second, replayed_second) = asyncio.run(both())
    assert calls == 1 and first == second == ([{"text": "answer"}], None)
    assert (replayed_first, replayed_second) == (False, True)


def test_answers_expire_and_the_cache_is_bounded():
    async def attempt():
        return [{"text": "a"}], None

    async def run():
        cache = ChatReplayCache(ttl_s=0.0, max_entries=2)
        await cache.answer_once("s", "m1", attempt)
        await asyncio.sleep(0.01)
        expired = await cache.answer_once("s", "m1", attempt)
        for n in range(5):
            await cache.answer_once("s", f"x{n}", attempt)
        return expired, len(cache._answers)

    (_, replayed), size = asyncio.run(run())
    assert replayed is False and size == 2
