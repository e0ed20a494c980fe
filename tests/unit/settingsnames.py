"""Every setting of ``trialbot/settings.py``: each ``BaseSettings`` class found by importing the module, each field
with its environment variable name (the class's ``env_prefix`` + the field name in capitals) and default."""

from __future__ import annotations

import inspect
from typing import Any

from pydantic_settings import BaseSettings

import trialbot.settings


def settings_classes() -> list[type[BaseSettings]]:
    return [cls for cls in vars(trialbot.settings).values()
            if inspect.isclass(cls) and issubclass(cls, BaseSettings) and cls is not BaseSettings]


def settings_fields() -> dict[str, list[tuple[str, Any]]]:
    """``{TRIALBOT_NAME: [(class name, default), ...]}`` (a name can belong to several classes)."""
    fields: dict[str, list[tuple[str, Any]]] = {}
    for cls in settings_classes():
        prefix = cls.model_config.get("env_prefix", "")
        for name, info in cls.model_fields.items():
            fields.setdefault(f"{prefix}{name}".upper(), []).append((cls.__name__, info.default))
    return fields


def settings_env_names() -> set[str]:
    return set(settings_fields())
