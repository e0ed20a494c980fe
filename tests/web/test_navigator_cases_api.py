"""The console's JSON API: the queue, one case, changes, notes, assignment, export, audit and erasure, each
limited to the navigator's trials."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from navfixtures import OTHER_TRIAL, TRIAL, make_case

pytestmark = pytest.mark.integration


def seed_queue(store, clock) -> dict:
    made = {}
    for name, urgency, trial, channel in [("old-normal", "normal", TRIAL, "rest"),
                                          ("old-urgent", "urgent", TRIAL, "telegram"),
                                          ("other-trial", "urgent", OTHER_TRIAL, "rest"),
                                          ("new-normal", "normal", TRIAL, "rest"),
                                          ("new-urgent", "urgent", TRIAL, "rest")]:
        made[name] = make_case(store, sender=name, urgency=urgency, trial_id=trial, channel=channel)
        clock.advance(minutes=10)
    return made


def test_queue_is_urgent_first_then_oldest_with_filters(as_navigator, case_store, clock) -> None:
    made = seed_queue(case_store, clock)
    mei = as_navigator("mei")
    response = mei.get("/api/navigator/cases")
    assert response.status_code == 200
    references = [c["reference"] for c in response.json()]
    assert references == [made[n].reference for n in ("old-urgent", "new-urgent", "old-normal", "new-normal")]
    first = response.json()[0]
    assert "transcript" not in first and "contact_value" not in first and "sender_id" not in first
    by_channel = mei.get("/api/navigator/cases", params={"channel": "telegram"}).json()
    assert [c["reference"] for c in by_channel] == [made["old-urgent"].reference]
    assert mei.get("/api/navigator/cases", params={"trial": OTHER_TRIAL}).json() == []  # not mei's trial
    assert mei.get("/api/navigator/cases", params={"status": "closed"}).json() == []
    assert mei.get("/api/navigator/cases", params={"status": "bogus"}).status_code == 422
    lin = as_navigator("lin")
    assert [c["reference"] for c in lin.get("/api/navigator/cases", params={"trial": OTHER_TRIAL}).json()] == [
        made["other-trial"].reference]


def test_queue_pages_with_limit_and_offset_and_says_the_total(as_navigator, case_store, clock) -> None:
    made = seed_queue(case_store, clock)
    mei = as_navigator("mei")
    whole = [made[n].reference for n in ("old-urgent", "new-urgent", "old-normal", "new-normal")]
    first = mei.get("/api/navigator/cases", params={"limit": 3})
    second = mei.get("/api/navigator/cases", params={"limit": 3, "offset": 3})
    assert [c["reference"] for c in first.json()] == whole[:3]
    assert [c["reference"] for c in second.json()] == whole[3:]
    assert first.headers["x-total-count"] == second.headers["x-total-count"] == "4"  # not lin's other trial
    beyond = mei.get("/api/navigator/cases", params={"offset": 10})
    assert beyond.json() == [] and beyond.headers["x-total-count"] == "4"
    telegram = mei.get("/api/navigator/cases", params={"channel": "telegram", "status": "new"})
    assert telegram.headers["x-total-count"] == "1"
    for bad in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "ten"}, {"offset": 2**40}):
        assert mei.get("/api/navigator/cases", params=bad).status_code == 422, bad


def test_a_case_of_another_trial_does_not_exist_for_a_navigator(as_navigator, case_store) -> None:
    theirs = make_case(case_store, sender="theirs", trial_id=OTHER_TRIAL)
    mei = as_navigator("mei")
    base = f"/api/navigator/cases/{theirs.id}"
    attempts = [
        mei.get(base), mei.get(base + "/transcript"),
        mei.send("PATCH", base, json={"status": "closed"}),
        mei.post(base + "/notes", json={"text": "hi"}),
        mei.post(base + "/assign", json={"username": "mei"}),
        mei.post(base + "/take"), mei.post(base + "/reply", json={"text": "hi"}), mei.post(base + "/hand-back"),
        mei.send("DELETE", base),
        mei.get("/navigator/cases/" + str(theirs.id)),
    ]
    assert [r.status_code for r in attempts] == [404] * len(attempts)
    assert all(theirs.reference not in r.text for r in attempts)
    assert mei.get("/api/navigator/cases/999999").status_code == 404
    after = case_store.get_case(theirs.id)
    assert after.status == "new" and after.notes == [] and after.held_by is None
    assert [r["reference"] for r in mei.get("/api/navigator/export.json").json()] == []


def test_status_urgency_notes_and_assignment(as_navigator, case_store) -> None:
    case = make_case(case_store)
    mei = as_navigator("mei")
    base = f"/api/navigator/cases/{case.id}"
    changed = mei.send("PATCH", base, json={"status": "contacted", "urgency": "urgent"})
    assert changed.status_code == 200
    assert (changed.json()["status"], changed.json()["urgency"]) == ("contacted", "urgent")
    assert mei.send("PATCH", base, json={"status": "done"}).status_code == 422
    assert mei.send("PATCH", base, json={"held_by": "mei"}).status_code == 422  # not a field navigators set
    note = mei.post(base + "/notes", json={"text": "Called at 10:00, will call back."})
    assert note.status_code == 201 and note.json()["author"] == "mei"
    assert mei.post(base + "/notes", json={"text": "   "}).status_code == 422
    assert mei.post(base + "/assign", json={"username": "lin"}).json()["assigned_to"] == "lin"
    assert mei.post(base + "/assign", json={"username": "omar"}).status_code == 422  # omar has other trials
    assert mei.post(base + "/assign", json={"username": None}).json()["assigned_to"] is None
    shown = mei.get(base).json()
    assert [n["text"] for n in shown["notes"]] == ["Called at 10:00, will call back."]
    assert mei.get("/api/navigator/navigators").json() == ["lin", "mei"]


def test_reopening_a_case_that_a_new_one_replaced_is_a_conflict(as_navigator, case_store) -> None:
    first = make_case(case_store)
    mei = as_navigator("mei")
    assert mei.send("PATCH", f"/api/navigator/cases/{first.id}", json={"status": "closed"}).status_code == 200
    make_case(case_store)  # the same conversation hands off again: a new open case
    reopened = mei.send("PATCH", f"/api/navigator/cases/{first.id}", json={"status": "new"})
    assert reopened.status_code == 409 and reopened.json()["error"] == "conflict"


def test_export_csv_and_json_hold_only_my_trials_and_are_audited(as_navigator, case_store) -> None:
    mine = make_case(case_store, unanswered_questions=["=HYPERLINK(\"http://evil.example\",\"click\")"])
    make_case(case_store, sender="theirs", trial_id=OTHER_TRIAL)
    mei = as_navigator("mei")
    as_csv = mei.get("/api/navigator/export.csv")
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["reference"] for r in rows] == [mine.reference]
    assert rows[0]["contact_value"] == "'+8613800138000"  # a leading + would start a spreadsheet formula
    assert rows[0]["unanswered_questions"].startswith('["=HYPERLINK')  # JSON list: starts with [, harmless
    assert "transcript" not in rows[0] and "sender_id" not in rows[0]
    as_json = mei.get("/api/navigator/export.json")
    assert [r["reference"] for r in as_json.json()] == [mine.reference]
    assert as_json.json()[0]["contact_value"] == "+8613800138000"
    audit = mei.get("/api/navigator/audit").json()
    exports = [e for e in audit if e["action"] == "exported"]
    assert [e["detail"].split(":")[0] for e in exports] == ["json", "csv"]
    assert all(e["actor"] == "mei" for e in exports)


def test_csv_cells_that_look_like_formulas_are_defused() -> None:
    from web.navigator.api import csv_cell

    assert [csv_cell(v) for v in ["=1+1", "+1", "-1", "@SUM(A1)", "\t=x", "plain", None, ["a"]]] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\t=x", "plain", "", '["a"]']


def test_viewing_changing_and_erasing_are_in_the_audit_log(as_navigator, case_store) -> None:
    case = make_case(case_store)
    mei = as_navigator("mei")
    base = f"/api/navigator/cases/{case.id}"
    mei.get(base)
    mei.send("PATCH", base, json={"status": "in_review"})
    assert mei.send("DELETE", base).status_code == 204
    assert mei.get(base).status_code == 404
    assert case_store.get_case(case.id) is None
    entries = mei.get("/api/navigator/audit").json()
    actions = [(e["actor"], e["action"], e["case_reference"]) for e in reversed(entries)]
    assert actions == [
        ("assistant", "case_created", case.reference),
        ("mei", "login", None),
        ("mei", "case_viewed", case.reference),
        ("mei", "status_changed", case.reference),
        ("mei", "case_erased", case.reference),
    ]
    assert all(datetime.fromisoformat(e["at"]).tzinfo is not None for e in entries)
    assert datetime.fromisoformat(entries[0]["at"]) <= datetime.now(UTC)
    omar = as_navigator("omar")
    assert [e["action"] for e in omar.get("/api/navigator/audit").json()] == ["login"]  # not mei's trial
