"""The case store on SQLite and on a real PostgreSQL server (every test runs on both)."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select, text

from cases.models import AuditEntry, NavigatorSession
from cases.schemas import CaseCreate, CaseSummaryPublic, CaseUpdate, NoteCreate
from cases.store import (
    EXPORT_FIELDS,
    CaseConflict,
    CaseNotFound,
    CaseStore,
    NavigatorExists,
    UnknownNavigator,
    WeakPassword,
)

pytestmark = pytest.mark.integration

TRIAL = "NCT07520357"
OTHER_TRIAL = "NCT00000001"
REFERENCE = re.compile(r"^NT-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$")
PASSWORD = "correct horse battery staple"


def handoff(sender: str = "3f2b8c1e-6a7d-4e0f-9b1a-2c3d4e5f6a7b", **overrides) -> CaseCreate:
    fields = {
        "trial_id": TRIAL,
        "sender_id": sender,
        "channel": "rest",
        "urgency": "normal",
        "contact_method": "phone",
        "contact_value": "+8613800138000",
        "preferred_language": "English",
        "preferred_time": "mornings",
        "consent_given_at": datetime(2027, 1, 15, 8, 59, tzinfo=UTC),
        "consent_version": "handoff-consent-v1",
        "screening_outcome": "needs_review",
        "screening_facts": {"age": 62, "ecog": None},
        "screening_result": {
            "outcome": "needs_review",
            "criteria": [
                {"id": "age_18_or_over", "status": "met", "reason": "You are 18 or older."},
                {"id": "ecog_0_1", "status": "unknown", "reason": "We don't know your activity level yet."},
            ],
        },
        "unanswered_questions": ["is there parking at the hospital?"],
        "transcript": [
            {"role": "user", "text": "hello", "at": "2027-01-15T08:58:00+00:00"},
            {"role": "bot", "text": "Hello, I'm an automated assistant.", "at": "2027-01-15T08:58:01+00:00"},
        ],
    }
    fields.update(overrides)
    return CaseCreate(**fields)


def audit_rows(store: CaseStore) -> list[AuditEntry]:
    with store._sessions() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


# ---- creating cases -----------------------------------------------------------------------------------------


def test_a_handoff_becomes_a_case_with_everything_a_navigator_needs(store: CaseStore) -> None:
    case = store.create_case(handoff())
    assert REFERENCE.match(case.reference)
    assert case.status == "new" and case.urgency == "normal" and case.held_by is None and case.assigned_to is None
    again = store.get_case(case.id)
    assert again is not None
    assert again.contact_value == "+8613800138000" and again.contact_method == "phone"
    assert again.consent_given_at == datetime(2027, 1, 15, 8, 59, tzinfo=UTC)
    assert again.created_at.tzinfo is not None
    assert again.screening_facts == {"age": 62, "ecog": None}
    assert again.screening_result is not None
    assert [(c.id, c.status) for c in again.screening_result.criteria] == [
        ("age_18_or_over", "met"), ("ecog_0_1", "unknown")]
    assert again.unanswered_questions == ["is there parking at the hospital?"]
    assert [m["role"] for m in again.transcript] == ["user", "bot"]
    assert [(e.actor, e.action, e.case_reference) for e in audit_rows(store)] == [
        ("assistant", "case_created", case.reference)]


def test_a_second_handoff_of_the_same_conversation_updates_its_open_case(store: CaseStore, clock) -> None:
    first = store.create_case(handoff(urgency="urgent"))
    clock.advance(minutes=5)
    second = store.create_case(handoff(
        urgency="normal", contact_method="email", contact_value="jane@example.com",
        unanswered_questions=["is there parking at the hospital?", "can my daughter come?"],
        transcript=[*handoff().transcript, {"role": "user", "text": "me again", "at": "2027-01-15T09:04:00+00:00"}],
        screening_result=None, screening_outcome=None, screening_facts=None,
    ))
    assert second.id == first.id and second.reference == first.reference
    assert second.urgency == "urgent"  # a calmer second request does not downgrade an urgent case
    assert (second.contact_method, second.contact_value) == ("email", "jane@example.com")
    assert second.unanswered_questions == ["is there parking at the hospital?", "can my daughter come?"]
    assert second.transcript[-1]["text"] == "me again"
    assert second.screening_outcome == "needs_review"  # no new screening: the earlier one stays
    assert second.updated_at == clock.now
    assert len(store.list_cases([TRIAL])) == 1


def test_a_closed_case_does_not_absorb_a_new_handoff(store: CaseStore) -> None:
    first = store.create_case(handoff())
    store.update(first.id, CaseUpdate(status="closed"), "mei")
    second = store.create_case(handoff())
    assert second.id != first.id and second.reference != first.reference
    other_trial = store.create_case(handoff(trial_id=OTHER_TRIAL))
    assert other_trial.id not in (first.id, second.id)
    with pytest.raises(CaseConflict):  # reopening would give the conversation two open cases
        store.update(first.id, CaseUpdate(status="in_review"), "mei")


def test_a_reference_collision_draws_a_new_reference(store: CaseStore, monkeypatch) -> None:
    import cases.store as store_module

    taken = store.create_case(handoff(sender="first")).reference
    draws = iter([taken, taken, "NT-ABCDEF"])
    monkeypatch.setattr(store_module, "new_reference", lambda: next(draws))
    assert store.create_case(handoff(sender="second")).reference == "NT-ABCDEF"


def test_simultaneous_handoffs_of_one_conversation_make_one_case(store: CaseStore) -> None:
    results, errors = [], []

    def hand_off() -> None:
        try:
            results.append(store.create_case(handoff(sender="same-conversation")).id)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=hand_off) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1 and len(store.list_cases([TRIAL])) == 1


def test_handoff_input_is_checked_and_cleaned(store: CaseStore) -> None:
    with pytest.raises(ValidationError):
        handoff(consent_given_at=datetime(2027, 1, 15, 9, 0))  # no timezone
    with pytest.raises(ValidationError):
        handoff(unexpected_field="x")
    with pytest.raises(ValidationError):
        handoff(transcript=[{"role": "doctor", "text": "hi", "at": ""}])
    long = handoff(transcript=[{"role": "user", "text": f"m{i}", "at": ""} for i in range(2100)])
    assert len(long.transcript) == 2000 and long.transcript[-1]["text"] == "m2099"  # the latest are kept
    case = store.create_case(handoff(transcript=[{"role": "user", "text": "a\x00b\x07c\nd", "at": ""}],
                                     preferred_time="  any\ttime \x00 "))
    assert case.transcript[0]["text"] == "abc\nd"  # NUL and bell dropped (PostgreSQL cannot store NUL)
    assert case.preferred_time == "any time"


# ---- the queue ----------------------------------------------------------------------------------------------


def test_queue_is_urgent_first_then_oldest_and_scoped_to_trials(store: CaseStore, clock) -> None:
    made = {}
    for name, urgency, trial, channel in [("old-normal", "normal", TRIAL, "rest"),
                                          ("old-urgent", "urgent", TRIAL, "telegram"),
                                          ("other-trial", "urgent", OTHER_TRIAL, "rest"),
                                          ("new-normal", "normal", TRIAL, "rest"),
                                          ("new-urgent", "urgent", TRIAL, "rest")]:
        made[name] = store.create_case(handoff(sender=name, urgency=urgency, trial_id=trial, channel=channel))
        clock.advance(minutes=10)
    order = [c.sender_id for c in store.list_cases([TRIAL])]
    assert order == ["old-urgent", "new-urgent", "old-normal", "new-normal"]
    assert [c.sender_id for c in store.list_cases([TRIAL], channel="telegram")] == ["old-urgent"]
    assert store.list_cases([TRIAL], trial=OTHER_TRIAL) == []  # a filter cannot widen the scope
    assert [c.sender_id for c in store.list_cases([TRIAL, OTHER_TRIAL], trial=OTHER_TRIAL)] == ["other-trial"]
    store.update(made["new-normal"].id, CaseUpdate(status="contacted"), "mei")
    assert [c.sender_id for c in store.list_cases([TRIAL], status="contacted")] == ["new-normal"]
    assert store.list_cases([]) == []
    assert store.channels([TRIAL]) == ["rest", "telegram"]


def test_queue_summaries_match_the_cases_without_their_contents(store: CaseStore, clock) -> None:
    """``list_summaries`` (the queue) has the same scope, filters and order as ``list_cases``, only fewer columns."""
    for i, (urgency, trial, channel) in enumerate([("normal", TRIAL, "rest"), ("urgent", TRIAL, "telegram"),
                                                   ("urgent", OTHER_TRIAL, "rest"), ("normal", TRIAL, "rest")]):
        store.create_case(handoff(sender=f"patient-{i}", urgency=urgency, trial_id=trial, channel=channel))
        clock.advance(minutes=5)
    store.assign(store.list_cases([TRIAL])[0].id, None, "mei")
    for filters in ({}, {"channel": "telegram"}, {"status": "new"}, {"status": "closed"}, {"trial": OTHER_TRIAL}):
        expected = [{name: getattr(c, name) for name in CaseSummaryPublic.model_fields}
                    for c in store.list_cases([TRIAL], **filters)]
        assert [s.model_dump() for s in store.list_summaries([TRIAL], **filters)] == expected
    assert [s.urgency for s in store.list_summaries([TRIAL, OTHER_TRIAL])] == ["urgent", "urgent", "normal", "normal"]
    assert not hasattr(store.list_summaries([TRIAL])[0], "transcript")
    assert store.list_summaries([]) == []


def test_queue_pages_and_counts_keep_the_scope_filters_and_order(store: CaseStore, clock) -> None:
    for i, (urgency, trial, channel) in enumerate([("normal", TRIAL, "rest"), ("urgent", TRIAL, "telegram"),
                                                   ("urgent", OTHER_TRIAL, "rest"), ("normal", TRIAL, "rest"),
                                                   ("normal", TRIAL, "telegram")]):
        store.create_case(handoff(sender=f"patient-{i}", urgency=urgency, trial_id=trial, channel=channel))
        clock.advance(minutes=5)
    whole = store.list_summaries([TRIAL])
    pages = [store.list_summaries([TRIAL], limit=2, offset=offset) for offset in (0, 2, 4)]
    assert [len(page) for page in pages] == [2, 2, 0] and [c for page in pages for c in page] == whole
    store.update(whole[0].id, CaseUpdate(status="closed"), "mei")
    assert store.count_by_status([TRIAL]) == {"new": 3, "in_review": 0, "contacted": 0, "closed": 1}
    assert store.count_by_status([TRIAL], channel="telegram") == {"new": 1, "in_review": 0, "contacted": 0,
                                                                  "closed": 1}
    assert store.count_by_status([TRIAL, OTHER_TRIAL], trial=OTHER_TRIAL)["new"] == 1
    assert store.count_by_status([TRIAL], trial=OTHER_TRIAL) == dict.fromkeys(("new", "in_review", "contacted",
                                                                              "closed"), 0)
    assert store.list_summaries([TRIAL], status="new", limit=1, offset=1) == store.list_summaries(
        [TRIAL], status="new")[1:2]


# ---- working on a case --------------------------------------------------------------------------------------


def test_status_urgency_notes_and_assignment_are_audited(store: CaseStore) -> None:
    store.add_navigator("mei", PASSWORD, [TRIAL])
    store.add_navigator("omar", PASSWORD, [OTHER_TRIAL])
    case = store.create_case(handoff())
    updated = store.update(case.id, CaseUpdate(status="in_review", urgency="urgent"), "mei")
    assert (updated.status, updated.urgency) == ("in_review", "urgent")
    note = store.add_note(case.id, NoteCreate(text="  Called, no answer; try again at 3 pm.  "), "mei")
    assert note.text == "Called, no answer; try again at 3 pm." and note.author == "mei"
    assert store.assign(case.id, "mei", "mei").assigned_to == "mei"
    with pytest.raises(UnknownNavigator):
        store.assign(case.id, "omar", "mei")  # not a navigator of this trial
    with pytest.raises(UnknownNavigator):
        store.assign(case.id, "nobody", "mei")
    assert store.assign(case.id, None, "mei").assigned_to is None
    assert [n.text for n in store.get_case(case.id).notes] == ["Called, no answer; try again at 3 pm."]
    actions = [(e.actor, e.action, e.detail) for e in audit_rows(store) if e.case_id == case.id]
    assert actions == [
        ("assistant", "case_created", "urgency: normal"),
        ("mei", "status_changed", "status: new -> in_review"),
        ("mei", "urgency_changed", "urgency: normal -> urgent"),
        ("mei", "note_added", f"note {note.id}"),
        ("mei", "assigned", "assigned_to: None -> mei"),
        ("mei", "assigned", "assigned_to: mei -> None"),
    ]
    with pytest.raises(CaseNotFound):
        store.update(999_999, CaseUpdate(status="closed"), "mei")


def test_holding_the_conversation_and_the_transcript(store: CaseStore) -> None:
    case = store.create_case(handoff())
    assert store.set_held_by(case.id, "mei", "mei", only_if_free=True).held_by == "mei"
    with pytest.raises(CaseConflict):
        store.set_held_by(case.id, "omar", "omar", only_if_free=True)
    message = {"role": "navigator", "text": "Hi, this is Mei from the trial team.", "at": "2027-01-15T09:10:00+00:00"}
    assert store.append_transcript(case.id, [message]).transcript[-1] == message
    fresh = [{"role": "user", "text": "only this", "at": ""}]
    assert store.set_transcript(case.id, fresh).transcript == fresh
    from_telegram = [{"role": "user", "text": "a\x00" + "b" * 5000, "at": ""}]  # as a tracker may hold it
    stored = store.set_transcript(case.id, from_telegram).transcript
    assert stored[0]["text"] == "a" + "b" * 3999
    assert store.get_case(case.id).transcript == stored
    assert store.set_held_by(case.id, None, "mei").held_by is None


def test_erasing_a_case_keeps_only_who_when_and_which_reference(store: CaseStore) -> None:
    case = store.create_case(handoff())
    store.add_note(case.id, NoteCreate(text="Patient's daughter called."), "mei")
    reference = store.erase_case(case.id, "mei")
    assert reference == case.reference
    assert store.get_case(case.id) is None
    with store._sessions() as session:
        assert session.execute(text("SELECT count(*) FROM notes")).scalar_one() == 0
    erased = [e for e in audit_rows(store) if e.action == "case_erased"]
    assert [(e.actor, e.case_reference) for e in erased] == [("mei", reference)]
    everything = " ".join(f"{e.actor} {e.action} {e.detail}" for e in audit_rows(store))
    for patient_data in ("+8613800138000", "parking", "daughter", "hello"):
        assert patient_data not in everything
    with pytest.raises(CaseNotFound):
        store.erase_case(case.id, "mei")


def test_export_holds_only_the_given_trials_and_no_transcript(store: CaseStore) -> None:
    mine = store.create_case(handoff(sender="mine"))
    store.create_case(handoff(sender="theirs", trial_id=OTHER_TRIAL))
    rows = store.export([TRIAL])
    assert [r["reference"] for r in rows] == [mine.reference]
    assert tuple(rows[0]) == EXPORT_FIELDS
    assert "transcript" not in rows[0] and "sender_id" not in rows[0]
    assert rows[0]["screening_result"]["criteria"][1]["status"] == "unknown"


# ---- navigators and sessions --------------------------------------------------------------------------------


def test_navigator_passwords_are_argon2_hashed_and_checked(store: CaseStore) -> None:
    added = store.add_navigator("mei", PASSWORD, [TRIAL, TRIAL])
    assert added.trials == [TRIAL]
    with store._sessions() as session:
        stored = session.execute(text("SELECT password_hash FROM navigators")).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert store.verify_navigator("mei", PASSWORD).username == "mei"
    assert store.verify_navigator("mei", PASSWORD + "x") is None
    assert store.verify_navigator("nobody", PASSWORD) is None
    assert store.verify_navigator("mei", "") is None
    with pytest.raises(NavigatorExists):
        store.add_navigator("mei", PASSWORD, [TRIAL])
    for weak in ("", "            ", "short"):
        with pytest.raises(WeakPassword):
            store.add_navigator("omar", weak, [TRIAL])
    assert [n.username for n in store.list_navigators()] == ["mei"]
    assert store.get_navigator("nobody") is None


def test_sessions_end_when_idle_too_long_after_the_absolute_limit_or_at_sign_out(store: CaseStore, clock) -> None:
    store.add_navigator("mei", PASSWORD, [TRIAL])
    idle, absolute = timedelta(hours=8), timedelta(hours=24)
    token = store.open_session("mei")
    with store._sessions() as session:
        hashes = list(session.scalars(select(NavigatorSession.token_hash)))
    assert token not in hashes and len(hashes) == 1  # only the hash is stored
    assert store.session_user(token, idle, absolute).username == "mei"
    clock.advance(hours=7)
    assert store.session_user(token, idle, absolute) is not None  # activity resets the idle clock
    clock.advance(hours=7)
    assert store.session_user(token, idle, absolute) is not None
    clock.advance(hours=8, seconds=1)
    assert store.session_user(token, idle, absolute) is None  # idle too long: gone for good
    clock.advance(seconds=1)
    assert store.session_user(token, idle, absolute) is None

    busy = store.open_session("mei")
    for _ in range(5):
        clock.advance(hours=5)
        store.session_user(busy, idle, absolute)
    assert store.session_user(busy, idle, absolute) is None  # over 24 h since sign-in

    ended = store.open_session("mei")
    store.close_session(ended)
    assert store.session_user(ended, idle, absolute) is None
    assert store.session_user("not-a-token", idle, absolute) is None


def test_from_settings_migrates_and_opens(database_url: str) -> None:
    from trialbot.settings import CaseSettings

    store = CaseStore.from_settings(CaseSettings(database_url=database_url))
    try:
        assert store.list_cases([TRIAL]) == []
    finally:
        store.dispose()
