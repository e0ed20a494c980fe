"""The guided pre-screening: consent first, one question at a time from the trial's criteria file,
free-text answers understood, questions answered mid-way, corrections, early stop after a clear
exclusion, and a summary in the engine's words. The Rasa form only asks; the engine decides."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import answer_parsing as parsing
from actions.answer import answer_messages
from actions.eligibility.criteria import TrialCriteria
from actions.eligibility.engine import ScreeningResult, screen
from actions.eligibility.facts import FACTS, check_value
from actions.shared import default_retriever, trial_criteria
from knowledge.retriever import Retriever

log = logging.getLogger(__name__)

FORM = "prescreening_form"
CONSENT = "screening_consent"
CONSENT_VERSION = "prescreen-consent-v1"
CONSENT_TEXT = (
    "Before we start, here is what the pre-screening involves.\n"
    "What: up to 14 short questions about the health of the person who wants to join (for example age, "
    "diagnosis and earlier treatments).\n"
    "Why: to show, requirement by requirement, where things stand before the trial team looks at the case.\n"
    "Who sees it: the answers stay with this conversation; only the trial's patient navigators can see them.\n"
    "How long: at most 90 days, or less if you ask me to \"delete my data\".\n"
    "You can stop at any time by typing \"stop\", and you can skip a question with \"not sure\".\n"
    "Do you agree to answer these questions?"
)
YES_NO_UNSURE = [{"title": "Yes", "payload": "yes"}, {"title": "No", "payload": "no"},
                 {"title": "Not sure", "payload": "not sure"}]
ECOG_BUTTONS = [
    {"title": "0 – fully active, as before the illness", "payload": "0"},
    {"title": "1 – can't do heavy work, but walks and looks after myself", "payload": "1"},
    {"title": "2 – up more than half the day, can't work", "payload": "2"},
    {"title": "3 – in bed or a chair more than half the day", "payload": "3"},
    {"title": "4 – in bed or a chair all day", "payload": "4"},
    {"title": "Not sure", "payload": "not sure"},
]
HINTS = {"bool": "You can answer yes, no or not sure.", "int": "Please answer with a number, or say not sure.",
         "choice": "Please pick one of the options, or say not sure."}
OTHER_TRIAL = ("A navigator can also tell you about other trials, such as NCT07014540 (irinotecan liposome) "
               "at the same hospital.")
MARKS = {"met": "✓", "not_met": "✗", "unknown": "?"}


def collected_facts(tracker: Tracker, criteria: TrialCriteria) -> dict[str, Any]:
    """The facts answered so far, with "not sure" as null, ready for the engine. A slot still holding the
    raw text of an answer (before validation has run on it) is left out."""
    facts: dict[str, Any] = {}
    for fact in criteria.question_order:
        value = tracker.get_slot(fact)
        if value == parsing.UNKNOWN:
            facts[fact] = None
        elif value is not None and check_value(FACTS[fact], value) is None:
            facts[fact] = value
    return facts


def consent_given(tracker: Tracker) -> bool | None:
    value = tracker.get_slot(CONSENT)
    return value if isinstance(value, bool) else None


def parse_answer(fact: str, text: str) -> Any:
    """The fact value for a free-text answer, ``parsing.UNKNOWN``, or None when it is not an answer."""
    spec = FACTS[fact]
    if fact == "age":
        return parsing.parse_age(text)
    if fact == "ecog":
        return parsing.parse_ecog(text)
    if spec.type == "bool":
        return parsing.parse_bool(text)
    if spec.type == "choice":
        return parsing.parse_choice(fact, text, tuple(spec.choices))
    return parsing.parse_int(text, int(spec.minimum or 0), int(spec.maximum or 10_000))


def question_message(fact: str, criteria: TrialCriteria) -> dict[str, Any]:
    """The question for one fact, numbered, with buttons for choice answers."""
    position = criteria.question_order.index(fact) + 1
    criterion = criteria.criterion_for_fact(fact)
    question = criterion.question_for(fact) if criterion else fact
    text = f"Question {position} of {len(criteria.question_order)}: {question}"
    if fact == "ecog":
        return {"text": text, "buttons": ECOG_BUTTONS}
    if FACTS[fact].type == "bool":
        return {"text": text, "buttons": YES_NO_UNSURE}
    if criterion is not None and criterion.choices:
        buttons = [{"title": c.label, "payload": c.value} for c in criterion.choices]
        return {"text": text, "buttons": [*buttons, {"title": "Not sure", "payload": "not sure"}]}
    return {"text": text}


class ValidatePrescreeningForm(FormValidationAction):
    """Understands each answer; asks only what is still needed (nothing after a clear exclusion)."""

    def __init__(self, retriever: Retriever | None = None, criteria: TrialCriteria | None = None) -> None:
        self._retriever = retriever
        self._criteria = criteria

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            self._retriever = default_retriever()
        return self._retriever

    @property
    def criteria(self) -> TrialCriteria:
        if self._criteria is None:
            self._criteria = trial_criteria()
        return self._criteria

    def name(self) -> str:
        return "validate_prescreening_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        questions = list(self.criteria.question_order)
        if consent_given(tracker) is not True:
            return [CONSENT]
        result = screen(collected_facts(tracker, self.criteria), self.criteria)
        if result.first_failed is not None:  # a clear exclusion: stop asking
            facts = collected_facts(tracker, self.criteria)
            return [CONSENT, *[f for f in questions if f in facts]]
        return [CONSENT, *questions]

    def validate_screening_consent(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        answer = value if isinstance(value, bool) else parsing.parse_bool(str(value))
        if answer is True:
            dispatcher.utter_message(text="Thank you. Let's start; one question at a time.")
            return {CONSENT: True, "consent_given_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "consent_version": CONSENT_VERSION}
        if answer is False:
            return {CONSENT: False}
        if parsing.looks_like_question(str(value)):
            self._answer_question(str(value), dispatcher)
        else:
            dispatcher.utter_message(text="Please answer yes or no. If you say no, I won't ask any health questions.")
        return {CONSENT: None}

    def _answer_question(self, text: str, dispatcher: CollectingDispatcher) -> None:
        message = answer_messages(self.retriever.ask(text))
        message.pop("buttons", None)
        dispatcher.utter_message(**message)
        dispatcher.utter_message(text="Now, back to the pre-screening.")

    def validate_fact(self, fact: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
                      ) -> dict[str, Any]:
        text = str(value)
        result: dict[str, Any] = {}
        if parsing.about_someone_else(text):
            result["screening_for"] = "someone_else"
        if fact != "age" and parsing.is_correction(text) and tracker.get_slot("age") is not None:
            corrected = parsing.parse_age(text)
            if isinstance(corrected, int):
                dispatcher.utter_message(text=f"Thanks, I've changed the age to {corrected}.")
                return {**result, "age": corrected, fact: None}
        parsed = value if isinstance(value, bool) else parse_answer(fact, text)
        if parsed is not None:
            return {**result, fact: parsed, "screening_failures": 0.0}
        if parsing.looks_like_question(text):
            self._answer_question(text, dispatcher)
            return {**result, fact: None}
        failures = int(tracker.get_slot("screening_failures") or 0) + 1
        if failures >= 3:
            dispatcher.utter_message(text=(
                "This question seems hard to answer here, and that's fine: I'll note it as \"not sure\" so the "
                "trial team can check it. You can also type \"stop\" to end the pre-screening, or \"talk to a "
                "person\"."))
            return {**result, fact: parsing.UNKNOWN, "screening_failures": 0.0}
        if FACTS[fact].type == "choice" and parsing.parse_bool(text) is True:
            # "yes" to "is it one of these?": which one matters, so ask for it rather than "didn't understand"
            dispatcher.utter_message(text="Thanks. Which one? Please pick it from the options, or say not sure.")
        else:
            dispatcher.utter_message(text=f"Sorry, I didn't understand that answer. {HINTS[FACTS[fact].type]}")
        return {**result, fact: None, "screening_failures": float(failures)}


def _validator(fact: str) -> Callable[..., dict[str, Any]]:
    def validate(self: ValidatePrescreeningForm, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                 domain: DomainDict) -> dict[str, Any]:
        return self.validate_fact(fact, value, dispatcher, tracker)

    validate.__name__ = f"validate_{fact}"
    return validate


for _fact in FACTS:
    setattr(ValidatePrescreeningForm, f"validate_{_fact}", _validator(_fact))


class AskFactAction(Action):
    """Asks one pre-screening question, in the words of the trial's criteria file."""

    fact = ""

    def name(self) -> str:
        return f"action_ask_{self.fact}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(**question_message(self.fact, trial_criteria()))
        return []


for _fact in trial_criteria().question_order:
    _class_name = "ActionAsk" + "".join(part.title() for part in _fact.split("_"))
    globals()[_class_name] = type(_class_name, (AskFactAction,), {"fact": _fact, "__module__": __name__})


class ActionAskScreeningConsent(Action):
    def name(self) -> str:
        return "action_ask_screening_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=CONSENT_TEXT, buttons=[{"title": "Yes, I agree", "payload": "yes"},
                                                             {"title": "No", "payload": "no"}])
        return []


def summary_text(result: ScreeningResult, criteria: TrialCriteria, for_someone_else: bool) -> str:
    """Where things stand, criterion by criterion, in the engine's words; never a decision."""
    who = "the person you are asking for" if for_someone_else else "you"
    lines: list[str]
    if result.first_failed is not None and result.outcome == "not_eligible":
        lines = [f"I'll stop the questions here, because one of this trial's requirements does not seem to be met "
                 f"for {who}:", f"✗ {result.first_failed.reason}",
                 "This is not a final decision: only the trial team can decide, and a navigator can go through "
                 f"it with you. {OTHER_TRIAL}"]
    else:
        lines = [criteria.outcome_messages[result.outcome]]
    patient = [r for r in result.criteria if r.assessed_by == "patient"]
    lines.append("Requirement by requirement:")
    lines += [f"{MARKS[r.status]} {r.reason}" for r in patient if r.status != "unknown" or r.required]
    team = sum(1 for r in result.criteria if r.assessed_by == "trial_team")
    lines.append(f"The trial team also checks {team} more requirements themselves (for example liver and kidney "
                 "tests, life expectancy and their own medical judgement).")
    lines.append("Would you like a patient navigator to go through this with you?")
    return "\n".join(lines)


class ActionScreeningSummary(Action):
    """Shows the outcome after the form ends (or says nothing was stored when consent was declined)."""

    def name(self) -> str:
        return "action_screening_summary"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if consent_given(tracker) is not True:
            dispatcher.utter_message(text=(
                "No problem. I won't ask any health questions, and nothing about your health is stored. You can "
                "keep asking me about the trial, or type \"talk to a person\" at any time."))
            return [SlotSet(CONSENT, None)]
        criteria = trial_criteria()
        result = screen(collected_facts(tracker, criteria), criteria)
        someone_else = tracker.get_slot("screening_for") == "someone_else"
        dispatcher.utter_message(
            text=summary_text(result, criteria, someone_else),
            buttons=[{"title": "Talk to a person", "payload": "/request_human"}],
            json_message={"screening": result.to_dict()},
        )
        log.info("pre-screening finished: outcome=%s", result.outcome)
        return [SlotSet("screening_outcome", result.outcome), SlotSet("screening_result", result.to_dict())]


class ActionCancelPrescreening(Action):
    """Ends the pre-screening politely when the patient says stop."""

    def name(self) -> str:
        return "action_cancel_prescreening"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=(
            "Okay, I've stopped the pre-screening. You can start again at any time with \"check if I can join\", "
            "keep asking questions about the trial, or type \"talk to a person\"."))
        return [ActiveLoop(None), SlotSet("requested_slot", None)]
