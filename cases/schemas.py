"""The shapes that go in and out of the case store (pydantic v2).

``CaseCreate`` is what the action server sends at the end of a handoff; ``CasePublic`` is a case as the
console and API show it; ``CaseUpdate`` the fields a navigator may change. Text from patients is kept as
it was typed (escaping is the job of whatever displays it), but bounded in length and stripped of control
characters that no database or screen should hold.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, field_validator
from typing_extensions import TypedDict

Status = Literal["new", "in_review", "contacted", "closed"]
Urgency = Literal["normal", "urgent"]
ContactMethod = Literal["phone", "email", "chat"]
Role = Literal["user", "bot", "navigator"]
CriterionStatus = Literal["met", "not_met", "unknown"]

STATUSES: tuple[Status, ...] = ("new", "in_review", "contacted", "closed")
MAX_MESSAGE_CHARS = 4000
MAX_TRANSCRIPT_MESSAGES = 2000
MAX_NOTE_CHARS = 5000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"
TRIAL_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"


def _no_control_characters(value: str) -> str:
    """Drop C0 control characters other than tab, CR and LF (PostgreSQL cannot even store NUL)."""
    return _CONTROL.sub("", value)


def _not_blank(value: str) -> str:
    if not value:
        raise ValueError("must not be blank")
    return value


def _one_line(value: str) -> str:
    return " ".join(_CONTROL.sub("", value).split())


def _clip(value: str) -> str:
    """Control characters dropped; text beyond ``MAX_MESSAGE_CHARS`` cut (a long message must not make a
    handoff fail: messaging apps allow longer messages than the widget)."""
    return _no_control_characters(value)[:MAX_MESSAGE_CHARS]


PatientText = Annotated[str, AfterValidator(_clip)]
ShortText = Annotated[str, StringConstraints(max_length=128), AfterValidator(_one_line)]
TrialId = Annotated[str, StringConstraints(pattern=TRIAL_PATTERN)]
Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN)]


class TranscriptMessage(TypedDict):
    """One message of the conversation: who said it (``navigator`` = a person replying as the bot), the text
    and when (ISO 8601, UTC)."""

    role: Role
    text: PatientText
    at: str


class CriterionResult(BaseModel):
    """One criterion of the eligibility engine's result."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(max_length=128)
    status: CriterionStatus
    reason: str = Field(default="", max_length=2000)


class ScreeningResult(BaseModel):
    """The eligibility engine's ``{"outcome", "criteria": [{"id", "status", "reason"}]}``."""

    model_config = ConfigDict(extra="ignore")

    outcome: str = Field(max_length=32)
    criteria: list[CriterionResult] = Field(default_factory=list, max_length=200)


class CaseCreate(BaseModel):
    """A handoff, as the action server reports it. ``sender_id`` is the Rasa conversation id."""

    model_config = ConfigDict(extra="forbid")

    trial_id: TrialId
    sender_id: str = Field(min_length=1, max_length=128)
    channel: Annotated[str, StringConstraints(min_length=1, max_length=32)] = "unknown"
    urgency: Urgency = "normal"
    contact_method: ContactMethod | None = None
    contact_value: Annotated[str, StringConstraints(max_length=320), AfterValidator(_one_line)] | None = None
    preferred_language: Annotated[str, StringConstraints(max_length=64), AfterValidator(_one_line)] | None = None
    preferred_time: ShortText | None = None
    consent_given_at: datetime | None = None
    consent_version: Annotated[str, StringConstraints(max_length=64)] | None = None
    screening_outcome: Annotated[str, StringConstraints(max_length=32)] | None = None
    screening_facts: dict[str, Any] | None = None
    screening_result: ScreeningResult | None = None
    unanswered_questions: list[PatientText] = Field(default_factory=list)
    transcript: list[TranscriptMessage] = Field(default_factory=list)

    @field_validator("unanswered_questions", "transcript", mode="before")
    @classmethod
    def _keep_the_latest(cls, value: Any) -> Any:
        """A very long conversation keeps its latest messages (and questions) rather than failing."""
        if isinstance(value, list) and len(value) > MAX_TRANSCRIPT_MESSAGES:
            return value[-MAX_TRANSCRIPT_MESSAGES:]
        return value

    @field_validator("consent_given_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("consent_given_at must carry a timezone")
        return value


TRANSCRIPT = TypeAdapter(list[TranscriptMessage])


def clean_transcript(messages: Any) -> list[TranscriptMessage]:
    """Validate and clean messages (for example from Rasa's tracker) before they are stored."""
    return TRANSCRIPT.validate_python(list(messages)[-MAX_TRANSCRIPT_MESSAGES:])


class CaseUpdate(BaseModel):
    """What a navigator may change on a case; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    urgency: Urgency | None = None


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, AfterValidator(_no_control_characters),
                    AfterValidator(str.strip), AfterValidator(_not_blank), StringConstraints(max_length=MAX_NOTE_CHARS)]


class NotePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    author: str
    text: str
    created_at: datetime


class CasePublic(BaseModel):
    """A case with everything a navigator works with."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    reference: str
    trial_id: str
    sender_id: str
    channel: str
    status: Status
    urgency: Urgency
    contact_method: ContactMethod | None
    contact_value: str | None
    preferred_language: str | None
    preferred_time: str | None
    consent_given_at: datetime | None
    consent_version: str | None
    screening_outcome: str | None
    screening_facts: dict[str, Any] | None
    screening_result: ScreeningResult | None
    unanswered_questions: list[str]
    transcript: list[TranscriptMessage]
    assigned_to: str | None
    held_by: str | None
    created_at: datetime
    updated_at: datetime
    notes: list[NotePublic] = Field(default_factory=list)


class CaseSummaryPublic(BaseModel):
    """A case as the queue lists it: no transcript, contact details or screening answers."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    reference: str
    trial_id: str
    channel: str
    status: Status
    urgency: Urgency
    screening_outcome: str | None
    assigned_to: str | None
    held_by: str | None
    created_at: datetime
    updated_at: datetime


class NavigatorPublic(BaseModel):
    """A console account, without its password hash."""

    model_config = ConfigDict(from_attributes=True)

    username: str
    trials: list[str]
    created_at: datetime


class AuditEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    case_id: int | None
    case_reference: str | None
    trial_id: str | None
    detail: str
