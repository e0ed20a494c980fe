import asyncio

import pytest
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from trackers import tracker_for

from actions.answer import ActionAnswerQuestion

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def action(retriever) -> ActionAnswerQuestion:
    return ActionAnswerQuestion(retriever=retriever)


def run(action: ActionAnswerQuestion, text: str, slots: dict | None = None):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker_for(text, slots=slots), {}))
    return dispatcher.messages, events


def test_name_matches_the_domain(action: ActionAnswerQuestion):
    assert action.name() == "action_answer_question"


def test_a_trial_question_is_answered_with_its_source(action: ActionAnswerQuestion):
    messages, events = run(action, "Where does the trial take place?")
    assert len(messages) == 1
    message = messages[0]
    assert "Beijing GoBroad Hospital" in message["text"]
    assert "Source:" in message["text"]
    citations = message["custom"]["citations"]
    assert citations and " › " in citations[0]["section"] and "NCT07520357" in citations[0]["source"]
    assert "Beijing GoBroad Hospital" in citations[0]["text"]
    assert events == []


def test_can_i_join_questions_state_the_criterion_and_offer_screening(action: ActionAnswerQuestion):
    messages, _ = run(action, "I am 80, can I join the trial?")
    text = messages[0]["text"]
    assert "75" in text
    assert "trial team" in text
    assert "you are eligible" not in text.lower()
    assert {"title": "Check if I might be able to join", "payload": "/start_prescreening"} in messages[0]["buttons"]


def test_an_unrelated_question_is_declined_and_remembered_for_the_navigator(action: ActionAnswerQuestion):
    question = "What is the best cream for a sunburn on my child's face?"
    messages, events = run(action, question)
    text = messages[0]["text"]
    assert "can only answer questions about this trial" in text
    assert not messages[0].get("custom")  # no citations for a declined question
    assert messages[0]["buttons"] == [{"title": "Talk to a person", "payload": "/request_human"}]
    assert events == [SlotSet("unanswered_questions", [question])]


def test_a_second_unanswered_question_starts_the_handoff(action: ActionAnswerQuestion):
    question = "What is the best cream for a sunburn on my child's face?"
    messages, events = run(action, question, slots={"unanswered_questions": ["earlier one"]})
    assert "navigator" in messages[-1]["text"]
    assert events == [SlotSet("unanswered_questions", ["earlier one", question]), FollowupAction("handoff_form")]


def test_unanswered_questions_in_a_form_do_not_start_the_handoff(action: ActionAnswerQuestion):
    question = "What is the best cream for a sunburn on my child's face?"
    tracker = tracker_for(question, slots={"unanswered_questions": ["earlier one"]})
    tracker.active_loop = {"name": "prescreening_form"}
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    assert events == [SlotSet("unanswered_questions", ["earlier one", question])]
