"""``.env.example`` documents every setting of ``trialbot/settings.py``: its variable, default and meaning.

The settings classes are imported and their fields iterated, so a setting added without documenting it here
fails this test, as does a documented variable that is no setting (a typo) or a default that drifted.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import SecretStr
from settingsnames import settings_classes, settings_fields

from trialbot.settings import REPO_ROOT

pytestmark = pytest.mark.unit

EXAMPLE = REPO_ROOT / ".env.example"
LINE = re.compile(r"^#?([A-Z][A-Z0-9_]*)=(.*)$")
COMPOSE_ONLY = {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "POSTGRES_USER", "POSTGRES_DB", "RASA_TRACKER_DB",
                "RASA_CREDENTIALS"}


def documented() -> dict[str, tuple[str, str]]:
    """``{NAME: (shown value, the comment line above)}`` for each variable line of .env.example."""
    lines = EXAMPLE.read_text().splitlines()
    found: dict[str, tuple[str, str]] = {}
    for before, line in zip(["", *lines], lines, strict=False):
        if match := LINE.match(line):
            assert match.group(1) not in found or match.group(1) in {"TRIALBOT_RASA_TOKEN",
                                                                     "TRIALBOT_SESSION_SECRET"}, match.group(1)
            found[match.group(1)] = (match.group(2), before)
    return found


def shown(default: object) -> str:
    """A default as .env.example shows it: <repo> for the project folder, empty for None, true/false."""
    if default is None:
        return ""
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, SecretStr):
        return "<secret>"
    return str(default).replace(str(REPO_ROOT), "<repo>") if isinstance(default, str | Path) else str(default)


def test_the_settings_module_has_settings_classes():
    assert {"KnowledgeSettings", "RunSettings", "WebSettings", "CaseSettings", "PrivacySettings"} <= {
        cls.__name__ for cls in settings_classes()}


def test_every_setting_is_documented_with_its_default_and_a_meaning():
    docs = documented()
    for name, owners in settings_fields().items():
        assert name in docs, f"{name} ({owners[0][0]}) is missing from .env.example"
        value, comment = docs[name]
        defaults = {shown(default) for _cls, default in owners}
        assert len(defaults) == 1, f"{name} has different defaults in {owners}"
        assert value == defaults.pop(), f"{name}: .env.example shows {value!r}, the default is {owners[0][1]!r}"
        assert comment.startswith("# ") and len(comment) > 12 and not LINE.match(comment), (
            f"{name} needs a one-line meaning on the line above it")


def test_nothing_documented_is_unknown():
    names = set(settings_fields())
    unknown = {name for name in documented() if name not in names} - COMPOSE_ONLY
    assert not unknown, f"not settings of trialbot/settings.py nor compose variables: {unknown}"


def test_no_secret_has_a_value_in_the_example():
    for name, (value, _comment) in documented().items():
        if any(word in name for word in ("PASSWORD", "SECRET", "TOKEN", "SID")):
            assert value == "", name
    assert not [line for line in EXAMPLE.read_text().splitlines() if LINE.match(line) and not line.startswith("#")]
