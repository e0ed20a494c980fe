"""Pre-screening vignettes as whole conversations through the running bot (``/api/chat``).

For each vignette marked ``conversation``, a new patient starts the pre-screening, consents and types the
vignette's free-text ``turns``; the result the bot reports at the end (``custom.screening``) is compared
with the vignette's expected outcome and facts-driven reasons.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any

import httpx

from evaluation.prescreen import DEFAULT_VIGNETTES, load_vignettes
from trialbot.settings import REPO_ROOT
from trialbot.stack import running_stack

REPORT = REPO_ROOT / "evaluation" / "reports" / "prescreen_conversations.md"


def converse(client: httpx.Client, url: str, turns: list[str]) -> tuple[dict[str, Any] | None, int]:
    """Run one conversation; return the screening result the bot reported (or None) and the bot turns."""
    sender = f"eval-{uuid.uuid4().hex}"
    screening = None
    bot_turns = 0
    for message in ["check if I can join", "yes", *turns]:
        response = client.post(f"{url}/api/chat", json={"sender": sender, "message": message}, timeout=60)
        response.raise_for_status()
        for item in response.json():
            bot_turns += 1
            if "screening" in (item.get("custom") or {}):
                screening = item["custom"]["screening"]
        if screening is not None:
            break
    return screening, bot_turns


def score(vignette: dict[str, Any], screening: dict[str, Any] | None) -> list[str]:
    """Problems with one conversation's result (empty when it is right)."""
    if screening is None:
        return ["the conversation did not reach a summary"]
    problems = []
    if screening["outcome"] != vignette["expected_outcome"]:
        problems.append(f"outcome {screening['outcome']} (expected {vignette['expected_outcome']})")
    statuses = {c["id"]: c["status"] for c in screening["criteria"]}
    for criterion, expected in vignette.get("expected_reasons", {}).items():
        shown = "unknown" if expected == "review" else expected
        if statuses.get(criterion) != shown:
            problems.append(f"{criterion}: {statuses.get(criterion)} (expected {shown})")
    return problems


def run_conversation_evaluation(vignettes_path: Path = DEFAULT_VIGNETTES) -> dict[str, Any]:
    conversations = [v for v in load_vignettes(vignettes_path) if v.get("conversation")]
    rows = []
    with tempfile.TemporaryDirectory() as logs, running_stack(Path(logs)) as stack, httpx.Client() as client:
        for vignette in conversations:
            screening, bot_turns = converse(client, stack.url, vignette["turns"])
            rows.append({"id": vignette["id"], "completed": screening is not None, "bot_turns": bot_turns,
                         "problems": score(vignette, screening)})
    return {"rows": rows, "total": len(rows), "completed": sum(r["completed"] for r in rows),
            "correct": sum(not r["problems"] for r in rows)}


def write_conversation_report(results: dict[str, Any], path: Path = REPORT) -> Path:
    lines = [
        "# Pre-screening conversations through the running bot",
        "",
        "Each vignette marked as a conversation is typed into `/api/chat` as a patient would (free text, "
        "caregivers, \"not sure\"), against the real Rasa server, action server and web service.",
        "",
        f"- conversations: {results['total']}",
        f"- completed (a summary was shown): {results['completed']}",
        f"- outcome and driving reasons right: {results['correct']}",
        "",
        "| vignette | completed | bot messages | problems |",
        "|---|---|---|---|",
        *[f"| {r['id']} | {'yes' if r['completed'] else 'no'} | {r['bot_turns']} | {'; '.join(r['problems']) or '—'} |"
          for r in results["rows"]],
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
