"""Free-text pre-screening answers → fact values: "I'm 62", "sixty-two", "my dad is 70", "not sure",
brand names of drugs, ECOG in everyday words. Vocabulary lives in ``answer_vocabulary.yml``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from text_to_num import alpha2digit

VOCABULARY_PATH = Path(__file__).with_name("answer_vocabulary.yml")
UNKNOWN = "unknown"  # a "don't know" answer; the engine sees it as null


@dataclass(frozen=True)
class Vocabulary:
    unknown: tuple[str, ...]
    yes: tuple[str, ...]
    no: tuple[str, ...]
    choices: dict[str, dict[str, tuple[str, ...]]]
    someone_else: tuple[str, ...]
    ecog: dict[int, tuple[str, ...]]
    correction: tuple[str, ...]


@lru_cache(maxsize=4)
def load_vocabulary(path: Path = VOCABULARY_PATH) -> Vocabulary:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Vocabulary(
        unknown=tuple(data["unknown"]), yes=tuple(data["yes"]), no=tuple(data["no"]),
        choices={fact: {value: tuple(words) for value, words in values.items()}
                 for fact, values in data["choices"].items()},
        someone_else=tuple(data["someone_else"]),
        ecog={int(grade): tuple(words) for grade, words in data["ecog"].items()},
        correction=tuple(data["correction"]),
    )


def normalize(text: str) -> str:
    """Lower case, curly quotes straightened, spaces folded, number words turned into digits."""
    cleaned = " ".join(str(text).replace("\u2019", "'").lower().split())
    try:
        return alpha2digit(cleaned, "en", threshold=0)
    except Exception:  # noqa: BLE001 - the converter must never break a conversation
        return cleaned


def _has(text: str, phrase: str) -> bool:
    if not re.search(r"\w", phrase):
        return text.strip() == phrase
    return re.search(r"(?<![\w-])" + re.escape(phrase) + r"(?![\w-])", text) is not None


def _any(text: str, phrases: tuple[str, ...]) -> bool:
    return any(_has(text, p) for p in phrases)


def is_unknown(text: str, vocabulary: Vocabulary | None = None) -> bool:
    vocabulary = vocabulary or load_vocabulary()
    return _any(normalize(text), vocabulary.unknown)


def parse_bool(text: str, vocabulary: Vocabulary | None = None) -> bool | str | None:
    """True / False / UNKNOWN, or None when the text is not an answer."""
    vocabulary = vocabulary or load_vocabulary()
    value = normalize(text)
    if _any(value, vocabulary.unknown):
        return UNKNOWN
    said_no, said_yes = _any(value, vocabulary.no), _any(value, vocabulary.yes)
    if said_no and not said_yes:
        return False
    if said_yes and not said_no:
        return True
    if said_no and said_yes:  # "yes, no brain metastases" is rare; "no, he has not" is common
        return value.split()[0].strip(",.!") not in vocabulary.no
    return None


def parse_int(text: str, minimum: int, maximum: int, vocabulary: Vocabulary | None = None) -> int | str | None:
    """A whole number in range (the first one written), UNKNOWN, or None."""
    vocabulary = vocabulary or load_vocabulary()
    value = normalize(text)
    if _any(value, vocabulary.unknown):
        return UNKNOWN
    for match in re.finditer(r"(?<![\d.])(\d{1,3})(?![\d.])", value):
        number = int(match.group(1))
        if minimum <= number <= maximum:
            return number
    return None


def parse_age(text: str) -> int | str | None:
    """An age in years; a number of 10 or more is preferred ("one of them is 45" is 45)."""
    adult = parse_int(text, 10, 120)
    return adult if adult is not None else parse_int(text, 1, 120)


def parse_ecog(text: str, vocabulary: Vocabulary | None = None) -> int | str | None:
    vocabulary = vocabulary or load_vocabulary()
    value = normalize(text)
    for grade in sorted(vocabulary.ecog, reverse=True):
        if _any(value, vocabulary.ecog[grade]):
            return grade
    number = parse_int(text, 0, 4, vocabulary)
    return number


def parse_choice(fact: str, text: str, allowed: tuple[str, ...], vocabulary: Vocabulary | None = None
                 ) -> str | None:
    """One of ``allowed``, UNKNOWN, or None."""
    vocabulary = vocabulary or load_vocabulary()
    value = normalize(text)
    if value.strip() in allowed:
        return value.strip()
    if _any(value, vocabulary.unknown):
        return UNKNOWN
    for choice, phrases in vocabulary.choices.get(fact, {}).items():
        if choice in allowed and _any(value, phrases):
            return choice
    return None


def about_someone_else(text: str, vocabulary: Vocabulary | None = None) -> bool:
    vocabulary = vocabulary or load_vocabulary()
    return _any(f"{normalize(text)} ", vocabulary.someone_else)


def is_correction(text: str, vocabulary: Vocabulary | None = None) -> bool:
    vocabulary = vocabulary or load_vocabulary()
    value = normalize(text)
    return any(value.startswith(p) or _has(value, p.rstrip(",")) for p in vocabulary.correction)


def looks_like_question(text: str) -> bool:
    """A message that asks something rather than answers (used to answer it mid-screening)."""
    value = normalize(text)
    return value.endswith("?") and len(value.split()) > 2 or bool(
        re.match(r"^(what|why|how|when|where|who|which|is|are|does|do|can|could|will|would|should)\b.+", value)
        and len(value.split()) > 3
    )
