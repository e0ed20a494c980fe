"""Erasure ("delete my data"), consent withdrawal and the retention purge, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from trackerdb import add_events

from cases.schemas import CaseCreate
from privacy.erasure import erase_after_turn, erase_conversation_data
from privacy.retention import purge_expired

pytestmark = pytest.mark.integration


def new_case(cases, sender_id: str):
    return cases.create_case(CaseCreate(
        trial_id="NCT07520357", sender_id=sender_id, channel="rest", urgency="normal", contact_method="phone",
        contact_value="+442079460958", preferred_language="English", preferred_time="mornings",
        consent_given_at=datetime.now(UTC), consent_version="handoff-consent-v1", screening_outcome="possibly",
        screening_facts={"age": 60}, screening_result={"outcome": "possibly"},
        unanswered_questions=["is there parking?"],
        transcript=[{"role": "user", "text": "call me on +44 20 7946 0958", "at": "2027-01-01T10:00:00+00:00"}],
    ))


def test_delete_my_data_removes_cases_and_events_of_that_conversation_only(stores):
    cases, trackers, url = stores
    now = time.time()
    add_events(url, "patient-a", [now - 60, now - 30, now])
    add_events(url, "patient-b", [now - 60, now])
    erased = new_case(cases, "patient-a")
    kept = new_case(cases, "patient-b")

    report = erase_conversation_data("patient-a", cases, trackers, requested_at=now)

    assert report.case_references == [erased.reference] and report.tracker_events == 3
    assert trackers.count_events("patient-a") == 0
    assert cases.get_case(erased.id) is None
    assert trackers.count_events("patient-b") == 2 and cases.get_case(kept.id) is not None
    audit = cases.list_audit(["NCT07520357"])
    assert any(e.action == "case_erased" and e.case_reference == erased.reference for e in audit)
    assert all("+44" not in e.detail and "0958" not in e.detail for e in audit)


def test_the_erasure_turn_stored_after_the_action_is_erased_too_but_a_later_conversation_is_kept(stores):
    cases, trackers, url = stores
    requested = time.time()
    erase_conversation_data("patient-a", cases, trackers, requested_at=requested)
    add_events(url, "patient-a", [requested - 100, requested + 0.2])  # Rasa stores the whole turn afterwards
    add_events(url, "patient-a", [requested + 3600])  # the patient came back an hour later

    erased = asyncio.run(erase_after_turn("patient-a", trackers, requested, delays_s=(0.0, 0.01)))

    assert erased == 2
    assert trackers.count_events("patient-a") == 1


def test_withdrawing_consent_removes_health_data_and_contact_details_and_is_audited(stores):
    cases, _, _ = stores
    case = new_case(cases, "patient-a")

    assert cases.withdraw_consent("patient-a", "patient") == [case.reference]

    after = cases.get_case(case.id)
    assert after.screening_facts is None and after.screening_result is None and after.contact_value is None
    assert after.transcript == [] and after.unanswered_questions == [] and after.status == "closed"
    withdrawal = [e for e in cases.list_audit(["NCT07520357"]) if e.action == "consent_withdrawn"]
    assert len(withdrawal) == 1 and withdrawal[0].at is not None


def test_the_purge_erases_only_what_is_older_than_the_retention_period(stores):
    cases, trackers, url = stores
    now = datetime.now(UTC)
    add_events(url, "old", [(now - timedelta(days=200)).timestamp(), (now - timedelta(days=190)).timestamp()])
    add_events(url, "recent", [(now - timedelta(days=200)).timestamp(), (now - timedelta(days=2)).timestamp()])
    recent_case = new_case(cases, "recent")

    dry = purge_expired(cases, trackers, retention_days=180, now=now, dry_run=True)
    assert dry.conversations == 1 and dry.tracker_events == 2 and dry.case_references == []
    assert trackers.count_events("old") == 2

    later = now + timedelta(days=181)
    report = purge_expired(cases, trackers, retention_days=180, now=now)
    assert report.conversations == 1 and trackers.count_events("old") == 0 and trackers.count_events("recent") == 2
    assert cases.get_case(recent_case.id) is not None

    report = purge_expired(cases, trackers, retention_days=180, now=later)
    assert report.case_references == [recent_case.reference] and cases.get_case(recent_case.id) is None
    assert trackers.count_events("recent") == 0
    assert any(e.action == "case_purged" for e in cases.list_audit(["NCT07520357"]))


def test_a_retention_period_under_a_day_is_refused(stores):
    cases, trackers, _ = stores
    with pytest.raises(ValueError, match="at least one day"):
        purge_expired(cases, trackers, retention_days=0)


def test_an_empty_tracker_store_is_not_an_error(tmp_path):
    from privacy.tracker_erasure import TrackerStoreEraser

    trackers = TrackerStoreEraser.from_url(f"sqlite:///{tmp_path / 'never-used.db'}")
    assert trackers.count_events("x") == 0 and trackers.erase_conversation("x") == 0
    assert trackers.senders_idle_since(time.time()) == []
