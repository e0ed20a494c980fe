"""Urgent-symptom detection in any patient message, with the words as data (``urgent_terms.yml``).

``detect_urgent(text)`` returns an :class:`UrgentFinding` when the message reports an urgent symptom
now (chest pain, trouble breathing, a new cough with fever, fever, heavy bleeding, fainting, sudden
confusion or a seizure, a severe allergic reaction, vomiting that will not stop, thoughts of self-harm),
and ``None`` otherwise. A symptom does not count when it is negated ("no fever", "denies shortness of
breath"), placed in the past ("two years ago I fainted"), hypothetical ("what if he faints?") or only
asked about ("is fever a side effect?"); a present symptom elsewhere in the same message still counts.
``safety_message(finding)`` is the calm text that tells the person to get help now.

Runs on Python 3.10 and 3.11 with the standard library and PyYAML only (it is imported inside Rasa).
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

TERMS_PATH = Path(__file__).with_name("urgent_terms.yml")

_APOSTROPHES = "'\u2019\u2018\u02bc\u0060\u00b4"
_QUOTE_MAP = {ord("\u201c"): '"', ord("\u201d"): '"', ord("\u00ba"): "\u00b0", ord("\u02da"): "\u00b0"}
_MACRO = re.compile(r"\{([A-Z_]+)\}")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_QUESTION_CLAUSE_BREAK = re.compile(r",|;|:|\s[-\u2013\u2014]\s|\bbut\b")
_WORD = re.compile(r"\w+")
_YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")
_LIST_WORD = re.compile(r"\b(?:or|nor)\b")
_LIST_NEXT = re.compile(r"\s*(?:,|\bor\b|\bnor\b)")
_TIME_FILLERS = re.compile(
    r"\b(?:and|but|so|then|well|um|it was|that was|this was|about|around|roughly|maybe|over|more than|only|just|"
    r"like|oh|ok|okay|yes|yeah|no|in|on|at|of|the|a|an)\b"
)


@dataclass(frozen=True)
class UrgentFinding:
    """An urgent symptom found in a message: its category, the (normalised) words that matched it, and
    whether it is about self-harm (which needs a different message)."""

    category: str
    matched: str
    is_self_harm: bool = False


class UrgentTermsError(ValueError):
    """The terms file is missing, malformed or holds a pattern that does not compile."""


@dataclass(frozen=True)
class _Pattern:
    category: str
    regex: re.Pattern[str]
    report: bool


@dataclass(frozen=True)
class _Terms:
    priority: tuple[str, ...]
    labels: dict[str, str]
    patterns: tuple[_Pattern, ...]
    fever: dict[str, Any]
    ctx: dict[str, Any]


def normalize_text(text: str) -> str:
    """Lower case, NFKC, straight quotes, apostrophes removed ("can't" -> "cant"), spaces collapsed."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTE_MAP).lower()
    for mark in _APOSTROPHES:
        text = text.replace(mark, "")
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    return text.strip()


def _expand(pattern: str, macros: dict[str, str]) -> str:
    for _ in range(10):
        expanded = _MACRO.sub(lambda m: macros.get(m.group(1), m.group(0)), pattern)
        if expanded == pattern:
            return expanded
        pattern = expanded
    return pattern


def _compile(pattern: str, macros: dict[str, str], where: str) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern:
        raise UrgentTermsError(f"{where}: a pattern must be a non-empty string")
    expanded = _expand(pattern, macros)
    if _MACRO.search(expanded):
        raise UrgentTermsError(f"{where}: unknown macro in {pattern!r}")
    try:
        return re.compile(expanded)
    except re.error as exc:
        raise UrgentTermsError(f"{where}: pattern {pattern!r} does not compile: {exc}") from exc


def load_terms(path: Path = TERMS_PATH) -> _Terms:
    """Read and compile a terms file (``urgent_terms.yml`` by default); raises :class:`UrgentTermsError`."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UrgentTermsError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("categories"), dict):
        raise UrgentTermsError(f"{path}: expected a mapping with 'categories'")
    macros = {str(k): str(v) for k, v in (data.get("macros") or {}).items()}
    categories = data["categories"]
    priority = tuple(data.get("priority") or categories)
    missing = [c for c in categories if c not in priority]
    if missing or any(c not in categories for c in priority):
        raise UrgentTermsError(f"{path}: 'priority' must list every category exactly ({missing or priority})")
    patterns: list[_Pattern] = []
    labels: dict[str, str] = {}
    for name in priority:
        spec = categories[name] or {}
        labels[name] = str(spec.get("label") or name.replace("_", " "))
        for kind in ("report", "mention"):
            for i, pat in enumerate(spec.get(kind) or []):
                regex = _compile(pat, macros, f"{name}.{kind}[{i}]")
                patterns.append(_Pattern(name, regex, kind == "report"))
    fever = dict(data.get("fever_readings") or {})
    for key in ("with_unit", "after_word", "after_verb", "temperature_word", "bare_decimal"):
        if key in fever:
            fever[key] = _compile(fever[key], macros, f"fever_readings.{key}")
    ctx: dict[str, Any] = {}
    for key, value in (data.get("context") or {}).items():
        if key == "negation_window":
            ctx[key] = int(value)
        elif isinstance(value, list):
            ctx[key] = [_compile(v, macros, f"context.{key}[{i}]") for i, v in enumerate(value)]
        elif isinstance(value, dict):
            ctx[key] = {k: _compile(v, macros, f"context.{key}.{k}") for k, v in value.items()}
        else:
            ctx[key] = _compile(value, macros, f"context.{key}")
    return _Terms(priority, labels, tuple(patterns), fever, ctx)


@functools.lru_cache(maxsize=1)
def _terms() -> _Terms:
    return load_terms(TERMS_PATH)


# --------------------------------------------------------------------------------------------------
# context checks, each on one sentence of normalised text and one match span [start, end)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def _clause_bounds(sentence: str, pos: int, breaker: re.Pattern[str]) -> tuple[int, int]:
    start, end = 0, len(sentence)
    for m in breaker.finditer(sentence):
        if m.end() <= pos:
            start = m.end()
        elif m.start() >= pos:
            end = m.start()
            break
    return start, end


def _is_question_clause(sentence: str, pos: int, ctx: dict[str, Any]) -> bool:
    start, end = _clause_bounds(sentence, pos, _QUESTION_CLAUSE_BREAK)
    clause = sentence[start:end].strip()
    if sentence[end:end + 1] == "?" or clause.endswith("?") or (end == len(sentence) and sentence.endswith("?")):
        return True
    if _starts_question(clause, ctx):
        return True
    # "cough, fever, breathlessness?": a question mark that no clause of its own claims covers the sentence
    if sentence.endswith("?"):
        bounds = [0] + [m.end() for m in _QUESTION_CLAUSE_BREAK.finditer(sentence)]
        return not any(_starts_question(sentence[b:], ctx) for b in bounds)
    return False


def _starts_question(clause: str, ctx: dict[str, Any]) -> bool:
    clause = re.sub(r"^\W*(?:(?:and|so|also|ok|okay|hi|hello|sorry|please|btw|then|but)\b\W*)*", "", clause.strip())
    return bool(ctx["question_start"].search(clause) or ctx["question_start_have"].search(clause))


def _is_generic(sentence: str, start: int, end: int, ctx: dict[str, Any]) -> bool:
    c_start, c_end = _clause_bounds(sentence, start, _QUESTION_CLAUSE_BREAK)
    clause = sentence[c_start:c_end]
    return any(cue.search(clause) for cue in ctx["generic_cues"])


def _has_report_marker(sentence: str, start: int, end: int, ctx: dict[str, Any]) -> bool:
    before = sentence[:start]
    if ctx["report_before"].search(before) or ctx["report_possessive"].search(before):
        return True
    if ctx["report_after"].search(sentence[end:]):
        return True
    return bool(ctx["ongoing"].search(sentence))


def _generic_subject_before(sentence: str, start: int, ctx: dict[str, Any]) -> bool:
    words = _WORD.findall(sentence[:start])[-4:]
    return bool(ctx["generic_subject"].search(" ".join(words)))


def _is_negated(sentence: str, start: int, end: int, ctx: dict[str, Any]) -> bool:
    post = ctx.get("post_negation")
    if post is not None and post.search(sentence[end:]):
        return True
    before = sentence[:start]
    window = ctx.get("negation_window", 6)
    for cue_re in ctx["negation_cues"]:
        for cue in cue_re.finditer(before):
            between = before[cue.end():]
            if len(_WORD.findall(between)) > window:
                continue
            if ctx["negation_breakers"].search(between):
                continue
            if ctx["clause_starters"].search(between) or ctx["negation_absorbers"].search(between):
                continue
            if "," in between and not _in_negated_list(sentence, end, between):
                continue
            return True
    return False


def _in_negated_list(sentence: str, end: int, between: str) -> bool:
    """A negation carries across a comma only through a list: "no fever, cough or chest pain",
    "no chest pain, shortness of breath, or fever"; not in "no fever, chest pain since this morning"."""
    return bool(_LIST_WORD.search(between) or _LIST_NEXT.match(sentence[end:]))


def _past_cue_spans(text: str, ctx: dict[str, Any]) -> list[tuple[int, int]]:
    spans = [m.span() for cue in ctx["past_cues"] for m in cue.finditer(text)]
    this_year = datetime.date.today().year
    spans += [m.span() for m in _YEAR.finditer(text) if int(m.group(1)) < this_year]
    return spans


def _only_time(segment: str, ctx: dict[str, Any]) -> bool:
    """True for a comma-separated piece that is nothing but a time in the past ("two years ago")."""
    spans = _past_cue_spans(segment, ctx)
    if not spans:
        return False
    rest = segment
    for a, b in sorted(spans, reverse=True):
        rest = rest[:a] + " " + rest[b:]
    rest = _TIME_FILLERS.sub(" ", rest)
    return not _WORD.search(rest)


def _is_past(sentence: str, start: int, ctx: dict[str, Any]) -> bool:
    """The symptom is placed in the past by a cue in its own comma-separated piece ("i had chest pain last
    year"), or in a neighbouring piece that is only a time ("two years ago, i fainted"), and nothing in
    those pieces says it is happening now ("again", "still", "today", "its back")."""
    c_start, c_end = _clause_bounds(sentence, start, ctx["past_breakers"])
    pieces = [(m.start(), m.end()) for m in re.finditer(r"[^,]+", sentence[c_start:c_end])]
    index = next((i for i, (a, b) in enumerate(pieces) if a <= start - c_start <= b), None)
    if index is None:
        return False
    own = sentence[c_start + pieces[index][0]:c_start + pieces[index][1]]
    clause = own
    for neighbour in (index - 1, index + 1):
        if 0 <= neighbour < len(pieces):
            text = sentence[c_start + pieces[neighbour][0]:c_start + pieces[neighbour][1]]
            if _only_time(text, ctx):
                clause += " , " + text
    return bool(_past_cue_spans(clause, ctx)) and not ctx["present_cues"].search(clause)


def _is_hypothetical(sentence: str, start: int, report: bool, category: str, question: bool,
                     ctx: dict[str, Any]) -> bool:
    openers = list(ctx["hypothetical_opener"].finditer(sentence))
    if question:
        openers += list(ctx["hypothetical_when"].finditer(sentence))
    for opener in openers:
        if opener.start() >= start or ctx["hypothetical_not_after"].search(sentence[:opener.start()]):
            continue
        if not ctx["hypothetical_breakers"].search(sentence[opener.end():start]):
            return True
    modal = ctx.get("modal_before")
    return bool(modal is not None and not report and category != "self_harm" and modal.search(sentence[:start]))


def _is_mild_exertion(sentence: str, start: int, end: int, ctx: dict[str, Any]) -> bool:
    rule = ctx.get("mild_exertion")
    if not rule:
        return False
    return bool(
        rule["mild_before"].search(sentence[:start])
        and rule["exertion_after"].search(sentence[end:])
        and not rule["worsening"].search(sentence)
    )


def _reading_is_fever(value: str, unit: str, fever: dict[str, Any]) -> bool:
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        return False
    c_lo, c_hi = fever.get("celsius_range", (35.0, 43.5))
    f_lo, f_hi = fever.get("fahrenheit_range", (95.0, 110.5))
    unit = unit.strip().lstrip("°").strip()
    fahrenheit = unit.startswith("f") or (not unit.startswith("c") and f_lo <= number <= f_hi)
    if fahrenheit:
        return f_lo <= number <= f_hi and number >= float(fever.get("fahrenheit_min", 100.4))
    return c_lo <= number <= c_hi and number >= float(fever.get("celsius_min", 38.0))


def _fever_readings(sentence: str, fever: dict[str, Any], temperature_talk: bool) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    bare = fever.get("bare_decimal")
    if temperature_talk and bare is not None:
        for m in bare.finditer(sentence):
            if _reading_is_fever(m.group(1), "", fever):
                spans.append((m.start(), m.end()))
    unit_re = fever.get("with_unit")
    if unit_re is not None:
        for m in unit_re.finditer(sentence):
            unit = sentence[m.end(1):m.end()].replace("degrees", "").replace("degree", "").replace("deg", "")
            if _reading_is_fever(m.group(1), unit, fever):
                spans.append((m.start(), m.end()))
    for key in ("after_word", "after_verb"):
        regex = fever.get(key)
        if regex is None:
            continue
        for m in regex.finditer(sentence):
            if _reading_is_fever(m.group(1), "", fever):
                spans.append((m.start(), m.end()))
    return spans


def _blocked(sentence: str, start: int, end: int, report: bool, category: str, rest: str,
             ctx: dict[str, Any]) -> bool:
    """True when a symptom match is not an urgent report (negated, past, hypothetical, asked about)."""
    if _is_negated(sentence, start, end, ctx):
        return True
    if category == "breathing" and not report and _is_mild_exertion(sentence, start, end, ctx):
        return True
    question = _is_question_clause(sentence, start, ctx)
    soft_block = _is_past(sentence, start, ctx) or _is_hypothetical(sentence, start, report, category, question, ctx)
    if not soft_block and (question or _is_generic(sentence, start, end, ctx)):
        generic_subject = not (report and category == "self_harm") and _generic_subject_before(sentence, start, ctx)
        soft_block = generic_subject or (not report and not _has_report_marker(sentence, start, end, ctx))
    if soft_block and ctx["recurrence"].search(rest):
        return False
    return soft_block


def _candidates(text: str, terms: _Terms) -> list[tuple[str, str, int, int, bool, str, int]]:
    """Every symptom match: (category, matched, sentence index, start, report, sentence, end)."""
    found = []
    word = terms.fever.get("temperature_word")
    temperature_talk = bool(word is not None and word.search(text))
    for index, sentence in enumerate(_sentences(text)):
        for pat in terms.patterns:
            for m in pat.regex.finditer(sentence):
                found.append((pat.category, m.group(0), index, m.start(), pat.report, sentence, m.end()))
        if "fever" in terms.labels:
            for start, end in _fever_readings(sentence, terms.fever, temperature_talk):
                found.append(("fever", sentence[start:end], index, start, False, sentence, end))
    return found


def symptom_mentions(text: str) -> list[tuple[str, str]]:
    """Every (category, matched words) in the message, ignoring context: a keyword baseline for evaluation
    and a debugging aid. Use :func:`detect_urgent` to decide whether a message is urgent."""
    if not isinstance(text, str) or not text.strip():
        return []
    return [(c[0], c[1]) for c in _candidates(normalize_text(text), _terms())]


def detect_urgent(text: str) -> UrgentFinding | None:
    """The most important urgent symptom reported in ``text`` (by the terms file's priority), or ``None``."""
    if not isinstance(text, str) or not text.strip():
        return None
    terms = _terms()
    norm = normalize_text(text)
    sentences = _sentences(norm)
    best: tuple[int, int, int, UrgentFinding] | None = None
    for category, matched, index, start, report, sentence, end in _candidates(norm, terms):
        rest = " ".join([sentence[end:]] + sentences[index + 1:])
        if _blocked(sentence, start, end, report, category, rest, terms.ctx):
            continue
        rank = (terms.priority.index(category), index, start)
        if best is None or rank < best[:3]:
            best = (*rank, UrgentFinding(category, matched.strip(), category == "self_harm"))
    return best[3] if best else None


def category_label(category: str) -> str:
    """Plain words for a category ("chest pain"), from the terms file."""
    return _terms().labels.get(category, category.replace("_", " "))


_SELF_HARM_MESSAGE = (
    "Please reach out for help right now: call your local emergency number or a suicide crisis line, or go "
    "to the nearest emergency department, especially if you (or the person you are writing about) might act "
    "on these thoughts. I'm really sorry things feel this hard, and I'm glad you told me. If you can, let "
    "someone near you know how you are feeling and stay with them. I'm also alerting a patient navigator so "
    "a person from the team can follow up with you, but please don't wait for them."
)

_URGENT_MESSAGE = (
    "Please get medical help now: call your local emergency number, or contact your treating team straight "
    "away if you can reach them right now. What you describe ({label}) can need urgent care, so please don't "
    "wait for a reply here. I'm also alerting a patient navigator, but a navigator cannot give emergency care."
)


def safety_message(finding: UrgentFinding | None) -> str:
    """The message to send first: get help now (emergency number or treating team; for self-harm also a
    suicide crisis line), no diagnosis and no other advice, and that a navigator is being alerted."""
    if finding is not None and finding.is_self_harm:
        return _SELF_HARM_MESSAGE
    label = category_label(finding.category) if finding is not None else "these symptoms"
    return _URGENT_MESSAGE.format(label=label)
