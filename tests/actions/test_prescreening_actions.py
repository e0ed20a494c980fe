import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher
from trackers import tracker_for

from actions.answer_parsing import UNKNOWN
from actions.eligibility.engine import screen
from actions.prescreening import (
    ActionScreeningSummary,
    ValidatePrescreeningForm,
    question_message,
    summary_text,
)
from actions.shared import trial_criteria

pytestmark = pytest.mark.integration

ALL_CLEAR = {"age": 62, "nec_confirmed": True, "excluded_subtype": "none", "progressed_after_platinum": True,
             "tissue_sample": "within_2_years", "measurable_lesion": True, "ecog": 1, "prior_cldn18_therapy": False,
             "prior_topo1": "none", "brain_metastases": "none", "ild_history": False, "hiv": False,
             "active_hepatitis": False, "other_cancer_within_3_years": False}


@pytest.fixture(scope="module")
def form(retriever) -> ValidatePrescreeningForm:
    return ValidatePrescreeningForm(retriever=retriever, criteria=trial_criteria())


def validate(form, fact, text, slots=None):
    dispatcher = CollectingDispatcher()
    tracker = tracker_for(text, intent="inform", slots={"screening_consent": True, **(slots or {})})
    result = getattr(form, f"validate_{fact}")(text, dispatcher, tracker, {})
    return result, [m.get("text") or "" for m in dispatcher.messages]


def required(form, slots):
    return asyncio.run(form.required_slots([], CollectingDispatcher(), tracker_for("x", slots=slots), {}))


def test_free_text_answers_fill_facts(form):
    assert validate(form, "age", "sixty-two")[0] == {"age": 62, "screening_failures": 0.0}
    result, _ = validate(form, "age", "my dad is 70")
    assert result["age"] == 70 and result["screening_for"] == "someone_else"
    assert validate(form, "prior_topo1", "she had Enhertu last year")[0]["prior_topo1"] == "adc"
    assert validate(form, "hiv", "not sure")[0]["hiv"] == UNKNOWN


def test_a_question_mid_screening_is_answered_then_the_question_is_asked_again(form):
    result, texts = validate(form, "ecog", "how often is the infusion given?")
    assert result == {"ecog": None}
    assert any("every 3 weeks" in t for t in texts)
    assert texts[-1] == "Now, back to the pre-screening."


def test_a_correction_changes_the_earlier_answer(form):
    result, texts = validate(form, "ecog", "Actually I'm 76", slots={"age": 62})
    assert result == {"age": 76, "ecog": None}
    assert texts == ["Thanks, I've changed the age to 76."]


def test_repeated_nonsense_gets_help_not_a_loop(form):
    first, texts = validate(form, "hiv", "purple monkey")
    assert first == {"hiv": None, "screening_failures": 1.0} and "yes, no or not sure" in texts[0]
    third, texts = validate(form, "hiv", "purple monkey", slots={"screening_failures": 2.0})
    assert third == {"hiv": UNKNOWN, "screening_failures": 0.0}
    assert "not sure" in texts[0] and "talk to a person" in texts[0]


def test_consent_comes_first_and_is_recorded(form):
    assert required(form, {}) == ["screening_consent"]
    assert required(form, {"screening_consent": False}) == ["screening_consent"]
    dispatcher = CollectingDispatcher()
    result = form.validate_screening_consent("yes", dispatcher, tracker_for("yes"), {})
    assert result["screening_consent"] is True
    assert result["consent_version"] == "prescreen-consent-v1" and result["consent_given_at"].endswith("+00:00")
    assert form.validate_screening_consent("no", dispatcher, tracker_for("no"), {}) == {"screening_consent": False}


def test_a_clear_exclusion_stops_the_questions(form):
    assert required(form, {"screening_consent": True}) == ["screening_consent", *trial_criteria().question_order]
    assert required(form, {"screening_consent": True, "age": 80}) == ["screening_consent", "age"]
    slots = {"screening_consent": True, "age": 60, "nec_confirmed": True, "excluded_subtype": "merkel_cell"}
    assert required(form, slots) == ["screening_consent", "age", "nec_confirmed", "excluded_subtype"]


def test_questions_come_from_the_criteria_file_with_buttons():
    message = question_message("prior_topo1", trial_criteria())
    assert message["text"].startswith("Question 9 of 14:") and "Enhertu" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["none", "small_molecule", "adc", "not sure"]
    assert [b["payload"] for b in question_message("hiv", trial_criteria())["buttons"]] == ["yes", "no", "not sure"]


def test_the_summary_never_decides_and_lists_each_criterion():
    criteria = trial_criteria()
    text = summary_text(screen(ALL_CLEAR, criteria), criteria, for_someone_else=False)
    assert "possibly eligible; the trial team confirms" in text
    assert "you are eligible" not in text.lower()
    assert text.count("✓") >= 13 and "✗" not in text
    assert "more requirements themselves" in text
    excluded = summary_text(screen({**ALL_CLEAR, "prior_topo1": "adc"}, criteria), criteria, for_someone_else=True)
    assert excluded.startswith("I'll stop the questions here") and "the person you are asking for" in excluded
    assert "NCT07014540" in excluded and "✗" in excluded
    review = summary_text(screen({**ALL_CLEAR, "prior_topo1": "small_molecule"}, criteria), criteria, False)
    assert "?" in review and "trial team" in review


def test_the_summary_action_reports_the_outcome_in_slots():
    dispatcher = CollectingDispatcher()
    tracker = tracker_for("no", slots={"screening_consent": True, **ALL_CLEAR, "hiv": UNKNOWN})
    events = asyncio.run(ActionScreeningSummary().run(dispatcher, tracker, {}))
    outcome = next(e for e in events if e["name"] == "screening_outcome")
    assert outcome["value"] == "needs_review"
    assert dispatcher.messages[0]["custom"]["screening"]["outcome"] == "needs_review"
    declined = CollectingDispatcher()
    asyncio.run(ActionScreeningSummary().run(declined, tracker_for("no", slots={"screening_consent": False}), {}))
    assert "nothing about your health is stored" in declined.messages[0]["text"]


def test_yes_to_a_choice_question_asks_which_one(form):
    result, texts = validate(form, "excluded_subtype", "yes")
    assert result["excluded_subtype"] is None
    assert texts == ["Thanks. Which one? Please pick it from the options, or say not sure."]
    assert validate(form, "excluded_subtype", "yes, merkel cell")[0]["excluded_subtype"] == "merkel_cell"
